package io.walmesh.testkit.cassandra;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Cassandra 5.0 server, started as a child JVM on 127.0.0.1 and free ports, for tests.
 *
 * <p>Cassandra cannot share a Vert.x test JVM (Netty 4.1 against 4.2, a JVM-wide security manager,
 * statics), so it runs in its own JVM, on the classpath that this module's build wrote into its jar
 * ({@value #CLASSPATH_RESOURCE}; override with the system property {@value #CLASSPATH_PROPERTY}).
 * The child's {@code java} is taken from the system property {@value #JAVA_PROPERTY} or the
 * environment variable {@value #JAVA_ENV} (a {@code java} binary or a JDK home; Cassandra 5.0 needs
 * Java 11 or 17), else from this JVM's {@code java.home}.
 *
 * <p>{@link #shared()} starts one server per test JVM (about 5-10 s, about 650 MB) and kills it when
 * the JVM exits. The child also exits by itself when this JVM dies, as its standard input closes.
 */
public final class CassandraServer implements AutoCloseable {
  /** System property naming the child's {@code java} binary or JDK home. */
  public static final String JAVA_PROPERTY = "walmesh.cassandra.java";
  /** Environment variable naming the child's {@code java} binary or JDK home. */
  public static final String JAVA_ENV = "WALMESH_CASSANDRA_JAVA";
  /** System property naming a classpath file to use instead of the packaged one. */
  public static final String CLASSPATH_PROPERTY = "walmesh.cassandra.classpath";
  /** The classpath file that the build of this module writes and packages. */
  public static final String CLASSPATH_RESOURCE = "/io/walmesh/testkit/cassandra/cassandra.classpath";
  /** The data center of the server, for the driver's local data center. */
  public static final String DATACENTER = "datacenter1";
  /** How long {@link #start} waits for the CQL port by default. */
  public static final long DEFAULT_START_TIMEOUT_MS = 120_000;

  private static CassandraServer shared;

  private final Process process;
  private final Path workDir;
  private final Path logFile;
  private final int port;
  private final Thread reaper;

  private CassandraServer(Process process, Path workDir, Path logFile, int port) {
    this.process = process;
    this.workDir = workDir;
    this.logFile = logFile;
    this.port = port;
    this.reaper = new Thread(this::killAndClean, "cassandra-kill-" + process.pid());
    Runtime.getRuntime().addShutdownHook(reaper);
  }

  /** The server of this test JVM, started on first use and killed when the JVM exits. */
  public static synchronized CassandraServer shared() {
    if (shared == null || !shared.isAlive()) {
      shared = start();
    }
    return shared;
  }

  /** Starts a new server in a fresh temporary directory; closing it is the caller's job. */
  public static CassandraServer start() {
    try {
      return start(Files.createTempDirectory("walmesh-cassandra-"), DEFAULT_START_TIMEOUT_MS);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts a new server with its data, config and log in {@code workDir}; waits up to {@code timeoutMs} for CQL. */
  public static CassandraServer start(Path workDir, long timeoutMs) {
    int cqlPort = freePort();
    int storagePort = freePort();
    Path logFile = workDir.resolve("cassandra.log");
    Process process;
    try {
      Path yaml = writeFile(workDir.resolve("cassandra.yaml"), CassandraConfig.yaml(workDir, cqlPort, storagePort));
      Path logback = writeFile(workDir.resolve("logback.xml"), CassandraConfig.logback());
      List<String> command = command(yaml, logback, workDir);
      process = new ProcessBuilder(command)
          .directory(workDir.toFile())
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the Cassandra child JVM in " + workDir, e);
    }
    CassandraServer server = new CassandraServer(process, workDir, logFile, cqlPort);
    try {
      server.awaitCql(timeoutMs);
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
    return server;
  }

  /** {@code 127.0.0.1}. */
  public String host() {
    return "127.0.0.1";
  }

  /** The CQL (native transport) port. */
  public int port() {
    return port;
  }

  /** {@code 127.0.0.1:<port>}, the form a contact point is written in. */
  public String contactPoint() {
    return host() + ":" + port;
  }

  /** The data center name to give the driver as its local data center. */
  public String datacenter() {
    return DATACENTER;
  }

  /** The child's process id. */
  public long pid() {
    return process.pid();
  }

  /** Whether the child JVM still runs. */
  public boolean isAlive() {
    return process.isAlive();
  }

  /** The file that receives the child's output. */
  public Path logFile() {
    return logFile;
  }

  /** Kills the child (SIGKILL: its data is thrown away anyway) and deletes its directory. */
  @Override
  public void close() {
    killAndClean();
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException ignored) {
      // the JVM is already shutting down and runs the hook itself
    }
  }

  private void killAndClean() {
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    deleteRecursively(workDir);
  }

  private void awaitCql(long timeoutMs) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException("Cassandra exited with code " + process.exitValue()
            + " before opening CQL port " + port + javaHint() + "; its output ends with:\n" + tail(60));
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(host(), port), 500);
        return;
      } catch (IOException notYet) {
        // not listening yet
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("Cassandra did not open CQL port " + port + " within " + timeoutMs
            + " ms; its output ends with:\n" + tail(60));
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for Cassandra", e);
      }
    }
  }

  /** The last {@code lines} lines of the child's output. */
  public String tail(int lines) {
    try {
      List<String> all = Files.exists(logFile) ? Files.readAllLines(logFile, StandardCharsets.UTF_8) : List.of();
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException | UncheckedIOException e) {
      return "(cannot read " + logFile + ": " + e.getMessage() + ")";
    }
  }

  private static List<String> command(Path yaml, Path logback, Path workDir) {
    List<String> command = new ArrayList<>();
    command.add(javaBinary());
    command.add("-Xmx1g");
    command.add("-Xss512k");
    command.add("-XX:+UseSerialGC");
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-Djava.net.preferIPv4Stack=true");
    command.add("-Dcassandra-foreground=yes");
    command.add("-Dcassandra.config=" + yaml.toUri());
    command.add("-Dcassandra.storagedir=" + workDir);
    command.add("-Dcassandra.logdir=" + workDir);
    command.add("-Dlogback.configurationFile=" + logback.toUri());
    command.add("-Dcassandra.skip_wait_for_gossip_to_settle=0");
    command.add("-Dcassandra.ring_delay_ms=100");
    command.add("-Dcassandra.unsafesystem=true");
    command.add("-Dcassandra.superuser_setup_delay_ms=0");
    command.addAll(CassandraConfig.JVM17_MODULE_FLAGS);
    command.add("-cp");
    command.add(classpath() + java.io.File.pathSeparator + ownLocation());
    command.add(CassandraMain.class.getName());
    return command;
  }

  private static String javaBinary() {
    String configured = System.getProperty(JAVA_PROPERTY);
    if (configured == null || configured.isBlank()) {
      configured = System.getenv(JAVA_ENV);
    }
    if (configured == null || configured.isBlank()) {
      return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
    Path path = Path.of(configured);
    return Files.isDirectory(path) ? path.resolve("bin").resolve("java").toString() : path.toString();
  }

  private static String javaHint() {
    return " (java: " + javaBinary() + "; Cassandra 5.0 needs Java 11 or 17, set " + JAVA_ENV + " or -D"
        + JAVA_PROPERTY + " to pick another)";
  }

  /** The server's runtime classpath, from the file the build wrote; fails naming the file when a jar is missing. */
  static String classpath() {
    String text;
    String source;
    try {
      String override = System.getProperty(CLASSPATH_PROPERTY);
      if (override != null && !override.isBlank()) {
        source = override;
        text = Files.readString(Path.of(override), StandardCharsets.UTF_8);
      } else {
        source = "resource " + CLASSPATH_RESOURCE;
        try (InputStream in = CassandraServer.class.getResourceAsStream(CLASSPATH_RESOURCE)) {
          if (in == null) {
            throw new IllegalStateException("no " + CLASSPATH_RESOURCE + " on the classpath: build walmesh-testkit-cassandra"
                + " with Maven (its generate-resources phase writes it)");
          }
          text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the Cassandra classpath file", e);
    }
    String classpath = text.strip();
    for (String entry : classpath.split(":")) {
      if (!Files.exists(Path.of(entry))) {
        throw new IllegalStateException("the Cassandra classpath (" + source + ") names " + entry
            + ", which does not exist: rebuild walmesh-testkit-cassandra on this machine");
      }
    }
    return classpath.replace(":", java.io.File.pathSeparator);
  }

  private static String ownLocation() {
    try {
      return Path.of(CassandraMain.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path writeFile(Path path, String content) throws IOException {
    Files.createDirectories(path.getParent());
    return Files.writeString(path, content, StandardCharsets.UTF_8);
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException ignored) {
      // best effort: a temporary directory
    }
  }
}
