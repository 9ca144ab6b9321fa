package io.walmesh.node.plugin;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.stream.Stream;
import io.walmesh.node.internal.SerialQueue;
import io.walmesh.node.cluster.ClusterState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Installs, upgrades and removes hot-loaded plugin jars at runtime.
 *
 * <p>The node's plugins directory ({@code <data-dir>/plugin-jars}) holds the installed jars: the
 * admin API writes uploads there, and a user may drop a jar in (or delete one) by hand; the
 * directory is scanned every few seconds and a jar is loaded once its size and time stop changing.
 * Each plugin runs in its own {@link PluginClassLoader}. Installing a jar whose id is already
 * loaded upgrades it: the new version is loaded and started first (a jar that fails leaves the old
 * version running), then the namespaces using its types drain their in-flight deliveries and switch
 * to it, then the old version is closed and its class loader released. A broken jar is reported by
 * {@link #toJson()} and the logs and never stops the node. Operations run one at a time.
 *
 * <p>Why it is over 400 lines: every way a plugin changes (the folder, an upload, the mesh, a
 * removal) ends in the same activate/retire steps here, one at a time; watching the folder is
 * {@link PluginFolder}'s job, loading one jar {@link LoadedPlugin}'s.
 */
public final class PluginManager {
  private static final Logger log = LoggerFactory.getLogger(PluginManager.class);
  /** How often the plugins directory is scanned, by default. */
  public static final long DEFAULT_SCAN_INTERVAL_MS = 2_000;
  private static final String UPLOAD_PREFIX = "plugin-upload-";
  /** How errors name an uploaded jar whose client gave no file name. */
  static final String UPLOADED = "(uploaded)";

  private final Vertx vertx;
  private final PluginRegistry registry;
  private final Path jarsDir;
  private final Path runtimeDir;
  private final Map<String, LoadedPlugin> plugins = new ConcurrentHashMap<>();
  /** Jars in the directory that could not be installed, with why, by file name. */
  private final Map<String, String> broken = new ConcurrentHashMap<>();
  /** The plugins directory's watcher: what changed in it. */
  private final PluginFolder folder;
  private PluginUsers users = new PluginUsers() {
    @Override
    public List<String> namespacesUsing(Set<String> targetTypes) {
      return List.of();
    }

    @Override
    public Future<Void> restartDeliveries(Set<String> targetTypes) {
      return Future.succeededFuture();
    }
  };
  /** Plugin changes run one at a time on the context that made this manager (the node's startup context). */
  private final SerialQueue changes;
  /** Where plugin jars are shared; null until {@link #joinMesh}: nothing is published before the shared jars are read. */
  private ClusterState shared;
  private volatile PluginLimits limits = PluginLimits.DEFAULTS;

  public PluginManager(Vertx vertx, PluginRegistry registry, Path dataDir, long scanIntervalMs) {
    this.vertx = vertx;
    this.changes = new SerialQueue(vertx.getOrCreateContext());
    this.registry = registry;
    this.jarsDir = dataDir.resolve("plugin-jars");
    this.runtimeDir = dataDir.resolve("plugin-runtime");
    this.folder = new PluginFolder(vertx, jarsDir, scanIntervalMs);
  }

  /** The bounds every plugin jar must keep (uploaded, dropped into the directory, or from the mesh). */
  public PluginLimits limits() {
    return limits;
  }

  /** Sets the bounds plugin jars must keep from now on; see {@link PluginLimits}. */
  public PluginManager limits(PluginLimits limits) {
    this.limits = java.util.Objects.requireNonNull(limits, "limits");
    return this;
  }

  /**
   * The largest jar this node takes in an upload, and the setting that says so: {@code max-jar-bytes}, or in a mesh,
   * where every upload is published, {@code max-mesh-jar-bytes} when that is smaller.
   */
  public UploadLimit uploadLimit() {
    PluginLimits now = limits;
    return shared != null && shared.sharesPluginJars() && now.maxMeshJarBytes() < now.maxJarBytes()
        ? new UploadLimit(now.maxMeshJarBytes(), "max-mesh-jar-bytes", "a mesh holds every published jar in its nodes' memory")
        : new UploadLimit(now.maxJarBytes(), "max-jar-bytes", null);
  }

  /** An upload's size limit: the bytes, the setting's name, and why it applies (null when plain). */
  public record UploadLimit(long bytes, String setting, String why) {
  }

  /** SHA-256 digests (hex) of the only jars this node loads; empty: any jar (the default). */
  private java.util.Set<String> allowedSha256 = java.util.Set.of();

  public PluginManager allowedSha256(java.util.Set<String> digests) {
    this.allowedSha256 = digests.stream().map(d -> d.toLowerCase(java.util.Locale.ROOT)).collect(java.util.stream.Collectors.toUnmodifiableSet());
    return this;
  }

  /** Refuses a jar whose digest is not allowed, before anything in it is unpacked or loaded (blocking). */
  private void checkAllowed(Path jar, String name) throws java.io.IOException {
    if (allowedSha256.isEmpty()) {
      return;
    }
    java.security.MessageDigest digest;
    try {
      digest = java.security.MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (java.io.InputStream in = java.nio.file.Files.newInputStream(jar)) {
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
    }
    String sha256 = java.util.HexFormat.of().formatHex(digest.digest());
    if (!allowedSha256.contains(sha256)) {
      throw new PluginException(PluginException.Kind.NOT_ALLOWED, "plugin jar " + name + " (sha256 " + sha256
          + ") is not in this node's plugins.allowed-sha256; nothing in it was loaded. Add its digest to the node config to allow it");
    }
  }

  /**
   * A new, empty file for an upload to stream into (blocking): in the data directory, next to the
   * plugins directory, so that installing it is a rename. The caller deletes it when done;
   * leftovers of a crash are deleted at the next start.
   */
  public Path newUploadFile() throws java.io.IOException {
    return Files.createTempFile(jarsDir.getParent(), UPLOAD_PREFIX, ".tmp");
  }

  /** The directory users drop plugin jars into. */
  public Path jarsDirectory() {
    return jarsDir;
  }

  /** Tells the manager about the node's namespaces; call before the first install that can affect them. */
  public void attach(PluginUsers users) {
    this.users = users;
  }

  /** Loads every jar in the plugins directory (a broken one is reported and skipped), then watches it. */
  public Future<Void> start() {
    return vertx.executeBlocking(() -> {
      Files.createDirectories(jarsDir);
      LoadedPlugin.deleteTree(runtimeDir);
      Files.createDirectories(runtimeDir);
      // uploads a crash interrupted
      try (Stream<Path> files = Files.list(jarsDir.getParent())) {
        for (Path file : files.filter(f -> f.getFileName().toString().startsWith(UPLOAD_PREFIX)).toList()) {
          Files.deleteIfExists(file);
        }
      }
      return null;
    }).compose(v -> serially(() -> scanNow(true))).onSuccess(v -> {
      log.info("Plugins directory {}: {} plugin(s) loaded{}", jarsDir, plugins.size(),
          broken.isEmpty() ? "" : ", broken: " + broken.keySet());
      scheduleScan();
    });
  }

  /** Runs changes one after another. */
  private <T> Future<T> serially(Supplier<Future<T>> operation) {
    return changes.submit(operation);
  }

  private void scheduleScan() {
    folder.watch(() -> serially(() -> scanNow(false)).recover(e -> {
      log.warn("Scanning plugins directory {} failed: {}", jarsDir, e.getMessage());
      return Future.succeededFuture();
    }));
  }

  /**
   * Acts on the changes the folder reports: loads new or changed jars, and removes the plugins
   * whose jar was deleted (a removal refused while namespaces use the plugin is reported and tried
   * again on the next scan).
   */
  private Future<Void> scanNow(boolean initial) {
    return folder.scan(initial).compose(scan -> {
      Future<Void> chain = Future.succeededFuture();
      for (PluginFolder.Change change : scan.changes()) {
        chain = chain.compose(v -> change instanceof PluginFolder.JarReady ready ? jarReady(ready, initial)
            : jarGone(((PluginFolder.JarGone) change).fileName()));
      }
      broken.keySet().removeIf(name -> !name.contains(":") && !scan.present().contains(name));
      for (LoadedPlugin plugin : plugins.values()) {
        if (scan.present().contains(plugin.source.getFileName().toString())) {
          broken.remove("deleted:" + plugin.source.getFileName());
        }
      }
      return chain;
    });
  }

  /** Installs a jar that appeared or changed; published (after the start) so every node of a mesh installs it. */
  private Future<Void> jarReady(PluginFolder.JarReady ready, boolean initial) {
    String name = ready.jar().getFileName().toString();
    return installFile(ready.jar(), "plugins directory", initial)
        .compose(json -> initial ? Future.succeededFuture(true) : publishFile(json.getString("id"), ready.jar())
            .map(true).recover(e -> {
              log.error("Plugin jar {}: installed here but not published to the mesh (tried again on the next scan): {}",
                  name, e.getMessage());
              return Future.succeededFuture(false);
            }))
        .transform(ar -> {
          if (ar.failed() || ar.result()) {
            folder.handled(name, ready.stamp()); // a broken jar is reported once, not on every scan
          }
          return Future.succeededFuture();
        });
  }

  /** Removes the plugin whose jar was deleted from the directory, unless namespaces use it. */
  private Future<Void> jarGone(String jarName) {
    LoadedPlugin plugin = plugins.values().stream().filter(p -> p.source.getFileName().toString().equals(jarName))
        .findFirst().orElse(null);
    if (plugin == null) {
      folder.forget(jarName);
      broken.remove(jarName);
      return Future.succeededFuture();
    }
    return unload(plugin.descriptor.id(), false, "its jar was deleted from " + jarsDir)
        .compose(json -> unpublish(plugin.descriptor.id()).map(json))
        .onSuccess(json -> {
          folder.forget(jarName);
          broken.remove("deleted:" + jarName);
        })
        .recover(e -> {
          String problem = "the jar of plugin " + plugin.descriptor.id() + " was deleted, but it stays loaded: "
              + e.getMessage() + "; put the jar back, or change those namespaces";
          if (broken.put("deleted:" + jarName, problem) == null) {
            log.error("Plugin {}: {}", plugin.descriptor.id(), problem);
          }
          return Future.succeededFuture();
        }).mapEmpty();
  }

  /**
   * Installs (or upgrades to) an uploaded jar: checked and started before it replaces anything; in
   * a mesh, then published so that every node installs it.
   */
  public Future<JsonObject> install(Buffer jar) {
    return serially(() -> installBytes(jar.getBytes(), "upload", true));
  }

  /**
   * Installs (or upgrades to) a jar uploaded into {@code upload} (a file from {@link #newUploadFile()}):
   * like {@link #install(Buffer)}, without holding the jar in memory. The file is moved into the
   * plugins directory when the plugin starts, and deleted otherwise.
   */
  public Future<JsonObject> installUpload(Path upload) {
    return installUpload(upload, null);
  }

  /**
   * {@link #installUpload(Path)}, naming the jar in errors by the file name the client gave
   * ({@code walmesh plugins install} sends it; only its last path segment counts), or as
   * "(uploaded)" when it gave none: never by the temporary file, which the user does not know.
   */
  public Future<JsonObject> installUpload(Path upload, String clientFileName) {
    return serially(() -> installFile(upload, "upload", false, uploadName(clientFileName)).eventually(() -> vertx.executeBlocking(() -> {
      Files.deleteIfExists(upload);
      return null;
    })).compose(json -> publishFile(json.getString("id"), jarsDir.resolve(json.getString("jar"))).map(json)));
  }

  /** How errors name an uploaded jar: the client's file name, printable and short, or "(uploaded)". */
  static String uploadName(String clientFileName) {
    String name = clientFileName == null ? "" : clientFileName.strip();
    name = name.substring(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
    return name.isEmpty() ? UPLOADED : io.walmesh.node.internal.Text.truncate(name, io.walmesh.node.internal.Text.MAX_ECHO_CHARS);
  }

  private Future<JsonObject> installBytes(byte[] jar, String origin, boolean publish) {
    return vertx.executeBlocking(() -> {
      Path upload = Files.createTempFile(jarsDir.getParent(), "plugin-upload-", ".tmp");
      Files.write(upload, jar);
      return upload;
    }).compose(upload -> installFile(upload, origin, false, "upload".equals(origin) ? UPLOADED : "(from " + origin + ")").eventually(() -> vertx.executeBlocking(() -> {
      Files.deleteIfExists(upload);
      return null;
    }))).compose(json -> publish ? publish(json.getString("id"), jar).map(json) : Future.succeededFuture(json));
  }

  private Future<Void> publish(String id, byte[] jar) {
    if (shared == null || !shared.sharesPluginJars()) {
      return Future.succeededFuture();
    }
    if (jar.length > limits.maxMeshJarBytes()) {
      return Future.failedFuture(notPublished(id, jar.length));
    }
    return shared.publishPlugin(id, jar);
  }

  /** Publishes a jar from a file, checking its size before it is read into memory. */
  private Future<Void> publishFile(String id, Path jar) {
    if (shared == null || !shared.sharesPluginJars()) {
      return Future.succeededFuture();
    }
    return vertx.executeBlocking(() -> {
      long size = Files.size(jar);
      if (size > limits.maxMeshJarBytes()) {
        throw notPublished(id, size);
      }
      return Files.readAllBytes(jar);
    }).compose(bytes -> publish(id, bytes));
  }

  private PluginException notPublished(String id, long size) {
    return new PluginException(PluginException.Kind.TOO_LARGE, "plugin " + id + ": its jar is " + size + " bytes, over"
        + " the " + limits.maxMeshJarBytes() + " bytes a mesh publishes (the plugins' max-mesh-jar-bytes limit: a mesh"
        + " holds every published jar in its nodes' memory); it was not published to the mesh. Raise"
        + " plugins.max-mesh-jar-bytes together with the nodes' heap (WALMESH_JAVA_OPTS=-Xmx...), on every node");
  }

  /**
   * Joins the mesh's plugins: the mesh's version of a plugin wins over this node's, a plugin the
   * mesh removed (its tombstone) is removed here too, and plugins only this node has are published.
   * Then follows the mesh: a plugin installed or removed on any node
   * is installed or removed here. Call after {@link #start()}, before the namespaces load.
   */
  public Future<Void> joinMesh(ClusterState mesh, Context context) {
    this.shared = mesh;
    // listen first: a change made while the snapshot is applied queues behind it instead of being missed
    mesh.listenPlugins(context, (id, jar) -> serially(() -> followMesh(id, jar)));
    return serially(() -> mesh.pluginJars().compose(remote -> {
      Future<Void> chain = Future.succeededFuture();
      for (Map.Entry<String, byte[]> entry : remote.entrySet()) {
        chain = chain.compose(v -> followMesh(entry.getKey(), entry.getValue()));
      }
      for (LoadedPlugin local : List.copyOf(plugins.values())) {
        if (!remote.containsKey(local.descriptor.id())) {
          chain = chain.compose(v -> publishFile(local.descriptor.id(), local.source).recover(e -> {
            log.error("Plugin {}: installed on this node only: {}", local.descriptor.id(), e.getMessage());
            return Future.succeededFuture();
          }));
        }
      }
      return chain;
    }));
  }

  /** Applies one plugin change of the mesh here; a failure is reported, never fatal. */
  private Future<Void> followMesh(String id, byte[] jar) {
    LoadedPlugin local = plugins.get(id);
    Future<?> applied;
    if (jar == null || jar.length == 0) { // removed from the mesh (a tombstone)
      applied = local == null ? Future.succeededFuture() : unload(id, true, "removed from the mesh");
    } else if (local != null && local.sha256.equals(LoadedPlugin.sha256(jar))) {
      applied = Future.succeededFuture();
    } else {
      applied = installBytes(jar, "the mesh", false);
    }
    return applied.<Void>mapEmpty().onSuccess(v -> broken.remove("mesh:" + id)).recover(e -> {
      broken.put("mesh:" + id, "the mesh's version of plugin " + id + " could not be installed here: " + e.getMessage());
      return Future.succeededFuture();
    });
  }

  /**
   * Loads a jar and activates it. An upload is first moved into the directory as
   * {@code <id>-<version>.jar}; the upgraded version's jar is then deleted from it.
   */
  private Future<JsonObject> installFile(Path jar, String origin, boolean initial) {
    return installFile(jar, origin, initial, jar.getFileName().toString());
  }

  /** {@code name}: how errors and the log name the jar (a temporary file's name means nothing to the user). */
  private Future<JsonObject> installFile(Path jar, String origin, boolean initial, String name) {
    String fileName = jar.getFileName().toString();
    return vertx.executeBlocking(() -> {
          checkAllowed(jar, name);
          return LoadedPlugin.open(jar, name, runtimeDir, PluginManager.class.getClassLoader(), limits);
        })
        .compose(opened -> activate(opened, jar.startsWith(jarsDir) ? null : jar, initial))
        .onSuccess(json -> {
          broken.remove(fileName);
          log.info("Plugin {} {} installed from {} ({}): target types {}", json.getString("id"), json.getString("version"),
              origin, json.getString("jar"), json.getValue("target-types"));
        })
        .onFailure(e -> {
          if (jar.startsWith(jarsDir)) {
            broken.put(fileName, String.valueOf(e.getMessage()));
          }
          log.error("Plugin jar {} from {} was not installed: {}", name, origin, e.getMessage());
        });
  }

  private Future<JsonObject> activate(LoadedPlugin fresh, Path upload, boolean initial) {
    String id = fresh.descriptor.id();
    LoadedPlugin old = plugins.get(id);
    if (old != null && old.sha256.equals(fresh.sha256)) {
      // the same jar again (a retried upload, a touched file): nothing to switch
      return fresh.close().map(v -> old.toJson().put("unchanged", true));
    }
    boolean keepOldJar = false;
    if (initial && old != null) {
      // two jars of one plugin in the directory at start: the newer version runs, the other is reported, not deleted
      if (LoadedPlugin.compareVersions(fresh.descriptor.version(), old.descriptor.version()) <= 0) {
        PluginException refused = new PluginException(PluginException.Kind.CONFLICT, "plugin " + id + " "
            + old.descriptor.version() + " (" + old.source.getFileName() + ") is loaded, and this jar holds version "
            + fresh.descriptor.version() + "; delete one of the two jars");
        return fresh.close().transform(ignored -> Future.failedFuture(refused));
      }
      keepOldJar = true;
      broken.put(old.source.getFileName().toString(), "plugin " + id + " " + fresh.descriptor.version() + " ("
          + fresh.source.getFileName() + ") runs instead of this jar's version " + old.descriptor.version()
          + "; delete one of the two jars");
    }
    boolean deleteOldJar = !keepOldJar;
    Set<String> oldTypes = old == null ? Set.of() : old.targets.keySet();
    try {
      checkTypes(fresh, oldTypes);
    } catch (PluginException e) {
      return fresh.close().transform(ignored -> Future.failedFuture(e));
    }
    return fresh.init(registry.targetContext())
        .recover(e -> Future.failedFuture(e instanceof PluginException ? e : new PluginException(
            PluginException.Kind.FAILED_START, "plugin " + id + " " + fresh.descriptor.version() + " failed to start: " + e)))
        .compose(v -> upload == null ? Future.succeededFuture(fresh) : vertx.executeBlocking(() -> {
          Path target = jarsDir.resolve(id + "-" + fresh.descriptor.version() + ".jar");
          Files.move(upload, target, StandardCopyOption.REPLACE_EXISTING);
          folder.handled(target);
          fresh.source = target;
          return fresh;
        }))
        .compose(active -> {
          plugins.put(id, active);
          registry.addTargets(active.targets);
          Set<String> affected = new HashSet<>(oldTypes);
          affected.addAll(active.targets.keySet());
          if (old != null) {
            log.info("Plugin {}: upgrading {} -> {}; namespaces {} switch over after draining in-flight deliveries", id,
                old.descriptor.version(), active.descriptor.version(), users.namespacesUsing(affected));
          }
          // the new version runs from here on: a failure to clean up the old one is logged, not the install's
          return users.restartDeliveries(affected)
              .transform(ignored -> retire(old, deleteOldJar ? active.source : old.source).recover(e -> {
                log.warn("Plugin {}: the replaced version {} did not close cleanly: {}", id,
                    old == null ? "" : old.descriptor.version(), e.getMessage());
                return Future.succeededFuture();
              }))
              .map(active.toJson());
        });
  }

  /** A plugin may not take a built-in type or another plugin's, nor drop a type namespaces still use. */
  private void checkTypes(LoadedPlugin fresh, Set<String> oldTypes) {
    for (String type : fresh.targets.keySet()) {
      if (registry.isBuiltInTarget(type)) {
        throw new PluginException(PluginException.Kind.CONFLICT, "plugin " + fresh.descriptor.id() + " provides target type \""
            + type + "\", which is built into the node");
      }
      for (LoadedPlugin other : plugins.values()) {
        if (!other.descriptor.id().equals(fresh.descriptor.id()) && other.targets.containsKey(type)) {
          throw new PluginException(PluginException.Kind.CONFLICT, "plugin " + fresh.descriptor.id()
              + " provides target type \"" + type + "\", which plugin " + other.descriptor.id() + " already provides");
        }
      }
    }
    Set<String> dropped = new HashSet<>(oldTypes);
    dropped.removeAll(fresh.targets.keySet());
    List<String> using = users.namespacesUsing(dropped);
    if (!dropped.isEmpty() && !using.isEmpty()) {
      throw new PluginException(PluginException.Kind.CONFLICT, "plugin " + fresh.descriptor.id() + " "
          + fresh.descriptor.version() + " no longer provides target type(s) " + dropped + ", which namespaces " + using
          + " use; change those namespaces first");
    }
  }

  /** Closes a replaced version and deletes its jar from the directory when the new one has another file. */
  private Future<Void> retire(LoadedPlugin old, Path keep) {
    if (old == null) {
      return Future.succeededFuture();
    }
    Set<String> gone = new HashSet<>(old.targets.keySet());
    plugins.values().forEach(p -> gone.removeAll(p.targets.keySet()));
    registry.removeTargets(gone);
    return old.close().compose(v -> vertx.executeBlocking(() -> {
      if (!old.source.equals(keep)) {
        Files.deleteIfExists(old.source);
        folder.forget(old.source.getFileName().toString());
      }
      return null;
    })).onSuccess(v -> log.info("Plugin {} {} unloaded", old.descriptor.id(), old.descriptor.version())).mapEmpty();
  }

  /**
   * Removes a plugin. Refused while namespaces use its types, unless {@code force}: those
   * namespaces then keep taking writes while their deliveries pause, entries waiting in the queue
   * until the type is installed again.
   */
  public Future<JsonObject> remove(String id, boolean force) {
    return serially(() -> unload(id, force, "removed through the admin API").compose(json -> unpublish(id).map(json)));
  }

  private Future<Void> unpublish(String id) {
    return shared == null ? Future.succeededFuture() : shared.unpublishPlugin(id);
  }

  private Future<JsonObject> unload(String id, boolean force, String why) {
    LoadedPlugin plugin = plugins.get(id);
    if (plugin == null) {
      return Future.failedFuture(new PluginException(PluginException.Kind.NOT_FOUND, "no plugin " + id
          + " is installed; installed: " + new TreeMap<>(plugins).keySet()));
    }
    Set<String> types = plugin.targets.keySet();
    List<String> using = users.namespacesUsing(types);
    if (!using.isEmpty() && !force) {
      return Future.failedFuture(new PluginException(PluginException.Kind.CONFLICT, "plugin " + id
          + " provides target type(s) " + types + ", which namespaces " + using + " use; change or delete them first, or"
          + " remove with force (their deliveries pause and entries wait in the queue until the type is back)"));
    }
    plugins.remove(id);
    registry.removeTargets(types);
    log.info("Plugin {} {}: {}; {}", id, plugin.descriptor.version(), why, using.isEmpty() ? "no namespace uses it"
        : "deliveries of " + using + " pause until target type(s) " + types + " are installed again");
    return users.restartDeliveries(types)
        .transform(ignored -> retire(plugin, null))
        .map(v -> new JsonObject().put("removed", id).put("version", plugin.descriptor.version())
            .put("paused-namespaces", new JsonArray(new ArrayList<>(using))));
  }

  /** Installed plugins, jars that failed, and the node's built-in types. */
  public JsonObject toJson() {
    JsonArray installed = new JsonArray();
    new TreeMap<>(plugins).values().forEach(p -> installed.add(p.toJson()
        .put("namespaces", new JsonArray(new ArrayList<>(users.namespacesUsing(p.targets.keySet()))))));
    JsonArray failed = new JsonArray();
    new TreeMap<>(broken).forEach((file, problem) -> failed.add(new JsonObject().put("jar", file).put("problem", problem)));
    return new JsonObject().put("plugins", installed).put("broken", failed)
        .put("built-in", new JsonObject().put("targets", new JsonArray(new ArrayList<>(registry.builtInTargets())))
            .put("backends", new JsonArray(new ArrayList<>(registry.backends().keySet()))))
        .put("directory", jarsDir.toAbsolutePath().toString());
  }

  /** Jars in the plugins directory that could not be installed, as "file: problem". */
  public List<String> brokenJars() {
    List<String> out = new ArrayList<>();
    new TreeMap<>(broken).forEach((file, problem) -> out.add(file + ": " + problem));
    return out;
  }

  /** A weak handle on an installed plugin's class loader (for tests that check it is released). */
  public WeakReference<ClassLoader> classLoaderOf(String id) {
    LoadedPlugin plugin = plugins.get(id);
    if (plugin == null) {
      throw new PluginException(PluginException.Kind.NOT_FOUND, "no plugin " + id + " is installed");
    }
    return plugin.loaderReference();
  }

  /** Stops watching and closes every plugin; call after the namespaces stopped. */
  public Future<Void> close() {
    folder.close();
    return serially(() -> Future.join(plugins.values().stream().map(LoadedPlugin::close).toList()).mapEmpty())
        .onComplete(v -> plugins.clear()).mapEmpty();
  }
}
