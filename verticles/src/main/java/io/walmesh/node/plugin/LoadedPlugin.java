package io.walmesh.node.plugin;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.PluginContext;
import io.walmesh.spi.target.TargetFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.ref.WeakReference;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * One hot-loaded plugin: its jar (copied, with the jars it nests under {@code lib/}, into a
 * directory of its own so the watched directory can change under it), its class loader and the
 * target factories found in it with {@link ServiceLoader}.
 */
final class LoadedPlugin {
  final PluginDescriptor descriptor;
  /** The jar in the plugins directory this plugin was loaded from. */
  volatile Path source;
  final String sha256;
  final long loadedAtMs = System.currentTimeMillis();
  final Map<String, IsolatedTargetFactory> targets;
  private final PluginClassLoader loader;
  private final Path unpacked;

  private LoadedPlugin(PluginDescriptor descriptor, Path source, String sha256, PluginClassLoader loader, Path unpacked,
                       Map<String, IsolatedTargetFactory> targets) {
    this.descriptor = descriptor;
    this.source = source;
    this.sha256 = sha256;
    this.loader = loader;
    this.unpacked = unpacked;
    this.targets = targets;
  }

  /**
   * Opens a plugin jar (blocking): checks it against {@code limits} and its descriptor, unpacks it
   * under {@code runtimeDir} and finds its factories; throws a {@link PluginException} of kind
   * BAD_JAR or TOO_LARGE naming the problem. Nothing is unpacked before the jar's entry count, entry
   * names and declared sizes passed; while unpacking, the bytes actually inflated are counted too.
   */
  static LoadedPlugin open(Path jar, Path runtimeDir, ClassLoader parent, PluginLimits limits) {
    return open(jar, jar.getFileName().toString(), runtimeDir, parent, limits);
  }

  /** {@link #open(Path, Path, ClassLoader, PluginLimits)}, naming the jar {@code name} in errors (an upload's own file name). */
  static LoadedPlugin open(Path jar, String name, Path runtimeDir, ClassLoader parent, PluginLimits limits) {
    long jarBytes;
    try {
      jarBytes = Files.size(jar);
    } catch (IOException e) {
      throw new UncheckedIOException("reading plugin jar " + jar + ": " + e.getMessage(), e);
    }
    if (jarBytes > limits.maxJarBytes()) {
      throw tooLarge(name, "is " + jarBytes + " bytes, over the limit of " + limits.maxJarBytes()
          + " bytes (max-jar-bytes)");
    }
    String sha256 = sha256(jar);
    PluginDescriptor descriptor;
    Path unpacked = null;
    boolean done = false;
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      List<ZipEntry> entries = checkEntries(zip, name, limits, true);
      ZipEntry entry = zip.getEntry(PluginDescriptor.PATH);
      if (entry == null) {
        throw PluginDescriptor.bad(name, "has no " + PluginDescriptor.PATH + "; see docs/plugins.md for the plugin jar layout");
      }
      Budget budget = new Budget(name, limits);
      try (InputStream in = zip.getInputStream(entry)) {
        java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream();
        budget.copy(in, text, entry.getName(), PluginLimits.MAX_METADATA_BYTES);
        descriptor = PluginDescriptor.parse(text.toString(StandardCharsets.UTF_8), name);
      }
      // a directory of its own, even for the same jar installed again while the first copy runs
      unpacked = Files.createTempDirectory(runtimeDir, descriptor.id() + "-" + descriptor.version() + "-");
      Path lib = unpacked.resolve("lib");
      Files.createDirectories(lib);
      Files.copy(jar, unpacked.resolve("plugin.jar"), StandardCopyOption.REPLACE_EXISTING);
      for (ZipEntry e : entries) {
        String path = e.getName();
        if (e.isDirectory()) {
          continue;
        }
        if (path.startsWith("lib/") && path.endsWith(".jar") && path.indexOf('/', 4) < 0) {
          Path target = unpacked.resolve(path).normalize();
          if (!lib.equals(target.getParent())) {
            throw PluginDescriptor.bad(name, "entry " + printable(path, 120) + " would unpack outside lib/");
          }
          try (InputStream in = zip.getInputStream(e); java.io.OutputStream out = Files.newOutputStream(target)) {
            budget.copy(in, out, path, limits.maxEntryBytes());
          }
          checkNested(target, path, budget);
        } else if (path.startsWith("META-INF/services/")) {
          // the node reads these (ServiceLoader): their real size counts, not the declared one
          try (InputStream in = zip.getInputStream(e)) {
            budget.copy(in, null, path, PluginLimits.MAX_METADATA_BYTES);
          }
        }
      }
      done = true;
    } catch (ZipException e) {
      throw PluginDescriptor.bad(name, "is not a readable jar (" + printable(String.valueOf(e.getMessage()), 200) + ")");
    } catch (IOException e) {
      throw new UncheckedIOException("reading plugin jar " + jar + ": " + e.getMessage(), e);
    } finally {
      if (!done && unpacked != null) {
        deleteTree(unpacked);
      }
    }
    PluginClassLoader loader = new PluginClassLoader(descriptor.id(), urls(unpacked), parent);
    try {
      return new LoadedPlugin(descriptor, jar, sha256, loader, unpacked, discover(descriptor, name, loader));
    } catch (RuntimeException | LinkageError e) {
      closeQuietly(loader);
      deleteTree(unpacked);
      throw e instanceof PluginException pe ? pe : PluginDescriptor.bad(name, "its target factories could not be loaded: " + e);
    }
  }

  /**
   * Checks a jar's central directory before anything is read: the entry count, the entry names (no
   * absolute path, no "..", no backslash: "zip slip") when {@code names}, and the declared sizes.
   */
  private static List<ZipEntry> checkEntries(ZipFile zip, String name, PluginLimits limits, boolean names) {
    if (zip.size() > limits.maxEntries()) {
      throw tooLarge(name, "has " + zip.size() + " entries, over the limit of " + limits.maxEntries() + " (max-entries)");
    }
    List<ZipEntry> entries = new ArrayList<>();
    long declared = 0;
    for (java.util.Enumeration<? extends ZipEntry> all = zip.entries(); all.hasMoreElements(); ) {
      ZipEntry e = all.nextElement();
      if (entries.size() >= limits.maxEntries()) {
        throw tooLarge(name, "has more than " + limits.maxEntries() + " entries (max-entries)");
      }
      if (names) {
        checkName(name, e.getName());
      }
      long size = Math.max(0, e.getSize());
      if (size > limits.maxEntryBytes()) {
        throw tooLarge(name, "entry " + printable(e.getName(), 120) + " unpacks to " + size + " bytes, over the limit of "
            + limits.maxEntryBytes() + " bytes per entry (max-entry-bytes)");
      }
      declared += size;
      if (declared > limits.maxUnpackedBytes()) {
        throw tooLarge(name, "unpacks to more than " + limits.maxUnpackedBytes() + " bytes (max-unpacked-bytes)");
      }
      entries.add(e);
    }
    return entries;
  }

  /** An entry name that would land outside the directory it is unpacked into ("zip slip") is refused. */
  static void checkName(String jarName, String entry) {
    boolean bad = entry.isEmpty() || entry.startsWith("/") || entry.indexOf('\\') >= 0 || entry.indexOf('\0') >= 0
        || (entry.length() > 1 && entry.charAt(1) == ':');
    for (String part : entry.split("/")) {
      bad |= part.equals("..");
    }
    if (bad) {
      throw PluginDescriptor.bad(jarName, "has an entry named " + printable(entry, 120)
          + ", which points outside the jar (an absolute path, \"..\" or a backslash); such jars are refused");
    }
  }

  /** A nested lib/ jar: its entry count and declared sizes, and the real size of the service files the node reads. */
  private static void checkNested(Path nested, String path, Budget budget) throws IOException {
    try (ZipFile zip = new ZipFile(nested.toFile())) {
      for (ZipEntry e : checkEntries(zip, budget.jar + " " + path, budget.limits, false)) {
        budget.declare(path + "!/" + e.getName(), Math.max(0, e.getSize()));
        if (!e.isDirectory() && e.getName().startsWith("META-INF/services/")) {
          try (InputStream in = zip.getInputStream(e)) {
            budget.copy(in, null, path + "!/" + e.getName(), PluginLimits.MAX_METADATA_BYTES);
          }
        }
      }
    } catch (ZipException e) {
      throw PluginDescriptor.bad(budget.jar, "nests " + printable(path, 120) + ", which is not a readable jar");
    }
  }

  private static PluginException tooLarge(String jarName, String problem) {
    return new PluginException(PluginException.Kind.TOO_LARGE, "plugin jar " + jarName + ": " + problem);
  }

  /** A name from a jar, safe to show: printable ASCII, quoted, at most {@code max} characters. */
  static String printable(String text, int max) {
    StringBuilder out = new StringBuilder("\"");
    for (int i = 0; i < text.length() && i < max; i++) {
      char c = text.charAt(i);
      out.append(c >= 0x20 && c < 0x7f && c != '"' ? c : '?');
    }
    return out.append(text.length() > max ? "...\"" : "\"").toString();
  }

  /**
   * Counts the bytes a jar unpacks to, as they are inflated (a zip header can lie about them), and
   * fails as soon as an entry or the total is over its limit; nothing over a limit is written.
   */
  private static final class Budget {
    final String jar;
    final PluginLimits limits;
    private final byte[] buffer = new byte[64 * 1024];
    private long total;

    Budget(String jar, PluginLimits limits) {
      this.jar = jar;
      this.limits = limits;
    }

    void declare(String entry, long bytes) {
      total += bytes;
      if (total > limits.maxUnpackedBytes()) {
        throw tooLarge(jar, "unpacks to more than " + limits.maxUnpackedBytes() + " bytes with its nested jars"
            + " (max-unpacked-bytes); over it at " + printable(entry, 120));
      }
    }

    void copy(InputStream in, java.io.OutputStream out, String entry, long entryLimit) throws IOException {
      long bytes = 0;
      for (int n; (n = in.read(buffer)) > 0; ) {
        bytes += n;
        if (bytes > entryLimit) {
          throw tooLarge(jar, "entry " + printable(entry, 120) + " unpacks to more than " + entryLimit + " bytes"
              + (entryLimit == PluginLimits.MAX_METADATA_BYTES ? " (the limit of a descriptor or service file)"
              : " (max-entry-bytes)"));
        }
        declare(entry, n);
        if (out != null) {
          out.write(buffer, 0, n);
        }
      }
    }
  }

  private static URL[] urls(Path unpacked) {
    List<URL> urls = new ArrayList<>();
    try (Stream<Path> libs = Files.list(unpacked.resolve("lib"))) {
      urls.add(unpacked.resolve("plugin.jar").toUri().toURL());
      for (Path lib : libs.sorted().toList()) {
        urls.add(lib.toUri().toURL());
      }
    } catch (MalformedURLException e) {
      throw new IllegalStateException(e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return urls.toArray(URL[]::new);
  }

  /** The jar's own target factories (not the node's, which its class loader also sees), one per declared type. */
  private static Map<String, IsolatedTargetFactory> discover(PluginDescriptor descriptor, String name, PluginClassLoader loader) {
    Map<String, IsolatedTargetFactory> found = new LinkedHashMap<>();
    try (LoaderSwap ignored = new LoaderSwap(loader)) {
      for (ServiceLoader.Provider<TargetFactory> provider : ServiceLoader.load(TargetFactory.class, loader).stream().toList()) {
        if (provider.type().getClassLoader() != loader) {
          continue;
        }
        TargetFactory factory = provider.get();
        String type = factory.type();
        if (!descriptor.targets().contains(type)) {
          throw PluginDescriptor.bad(name, "provides target type \"" + type + "\", which " + PluginDescriptor.PATH
              + " does not list in \"targets\" " + descriptor.targets());
        }
        if (found.put(type, new IsolatedTargetFactory(factory, loader, descriptor.id())) != null) {
          throw PluginDescriptor.bad(name, "has two factories for target type \"" + type + "\"");
        }
      }
    } catch (ServiceConfigurationError e) {
      throw PluginDescriptor.bad(name, "META-INF/services/" + TargetFactory.class.getName() + " names a factory that "
          + "cannot be loaded: " + e.getMessage() + (e.getCause() == null ? "" : " (" + e.getCause() + ")"));
    }
    for (String type : descriptor.targets()) {
      if (!found.containsKey(type)) {
        throw PluginDescriptor.bad(name, "declares target type \"" + type + "\" but has no factory for it in META-INF/services/"
            + TargetFactory.class.getName());
      }
    }
    return found;
  }

  /** Starts every factory; on a failure, closes the ones started and fails. */
  Future<Void> init(PluginContext context) {
    List<Future<Void>> inits = targets.values().stream().map(f -> f.init(context)).toList();
    return Future.all(inits).<Void>mapEmpty().recover(e -> close().transform(ignored -> Future.failedFuture(e)));
  }

  /** Closes every factory (and the targets still open), then the class loader; deletes the unpacked copy. */
  Future<Void> close() {
    return Future.join(targets.values().stream().map(IsolatedTargetFactory::close).toList())
        .<Void>mapEmpty()
        .transform(ignored -> {
          closeQuietly(loader);
          deleteTree(unpacked);
          return Future.succeededFuture();
        });
  }

  /** A weak handle on the class loader: it clears once the unloaded plugin is collected. */
  WeakReference<ClassLoader> loaderReference() {
    return new WeakReference<>(loader);
  }

  /** Compares two plugin versions part by part, numbers as numbers ({@code 1.10.0 > 1.9.0}). */
  static int compareVersions(String a, String b) {
    String[] left = a.split("[.+-]");
    String[] right = b.split("[.+-]");
    for (int i = 0; i < Math.max(left.length, right.length); i++) {
      String l = i < left.length ? left[i] : "";
      String r = i < right.length ? right[i] : "";
      int c = l.matches("\\d{1,18}") && r.matches("\\d{1,18}") ? Long.compare(Long.parseLong(l), Long.parseLong(r))
          : l.compareTo(r);
      if (c != 0) {
        return c;
      }
    }
    return 0;
  }

  JsonObject toJson() {
    return descriptor.toJson().put("state", "active").put("jar", source.getFileName().toString()).put("sha256", sha256)
        .put("loaded-at-ms", loadedAtMs).put("target-types", new JsonArray(new ArrayList<>(targets.keySet())));
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String sha256(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[64 * 1024];
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void closeQuietly(PluginClassLoader loader) {
    try {
      loader.close();
    } catch (IOException ignored) {
      // nothing left to do
    }
  }

  static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
