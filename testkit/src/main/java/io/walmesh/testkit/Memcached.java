package io.walmesh.testkit;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real memcached on 127.0.0.1 and a free port: the {@code memcached} binary as a child process
 * ({@code memcached -l 127.0.0.1 -p PORT -U 0 -m 64 -u root}) when it is on the PATH, otherwise the
 * pure-Java jmemcached in this JVM (the module must then depend on
 * {@code com.thimbleware.jmemcached:jmemcached-core}, test scope). {@link #kind()} says which one
 * started, and it is logged. The system property {@code walmesh.testkit.memcached} ({@code binary},
 * {@code java} or a path to a binary) forces a choice.
 *
 * <p>{@link #stop()} and {@link #start()} take it down and bring it back, empty, on the same port, for
 * outage tests. The child process is killed in {@link #close()} and in a shutdown hook.
 */
public final class Memcached implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Memcached.class);
  private static Memcached shared;

  /** Which server runs. */
  public enum Kind {
    /** The real memcached binary, as a child process. */
    BINARY,
    /** The pure-Java jmemcached fallback, in this JVM (no {@code touch}, laxer limits). */
    JAVA
  }

  private final int port;
  private final Kind kind;
  private final String binary;
  private final Path logFile;
  private final Thread reaper = new Thread(this::stop, "memcached-stop");
  private Process process;
  private JavaMemcached java;

  private Memcached(int port, String binary) {
    this.port = port;
    this.binary = binary;
    this.kind = binary == null ? Kind.JAVA : Kind.BINARY;
    try {
      this.logFile = binary == null ? null : Files.createTempFile("memcached-" + port + "-", ".log");
      if (logFile != null) {
        logFile.toFile().deleteOnExit();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Runtime.getRuntime().addShutdownHook(reaper);
  }

  /** The server of this test JVM, started on first use and stopped at JVM exit. */
  public static synchronized Memcached shared() {
    if (shared == null) {
      shared = startNew();
    }
    return shared;
  }

  /** Starts a new server on a free port; closing it is the caller's job. */
  public static Memcached startNew() {
    Memcached memcached = new Memcached(FreePorts.next(), chooseBinary());
    memcached.start();
    return memcached;
  }

  /** Starts the server (again, after {@link #stop()}) on the same port, empty; returns when it accepts connections. */
  public synchronized void start() {
    if (isRunning()) {
      return;
    }
    long started = System.nanoTime();
    if (kind == Kind.BINARY) {
      try {
        process = new ProcessBuilder(List.of(binary, "-l", "127.0.0.1", "-p", Integer.toString(port), "-U", "0",
            "-m", "64", "-u", "root"))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
            .start();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start " + binary, e);
      }
      awaitListening();
    } else {
      java = JavaMemcached.start(port);
      awaitListening();
    }
    LOG.info("started {} memcached on 127.0.0.1:{} in {} ms{}", kind == Kind.BINARY ? "the real (" + binary + ")"
        : "the pure-Java (jmemcached) fallback", port, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
        kind == Kind.BINARY ? ", pid " + process.pid() + ", log " + logFile : "");
  }

  /** Stops the server (SIGKILL for the binary): open connections break, its data is gone. */
  public synchronized void stop() {
    if (process != null) {
      process.destroyForcibly();
      try {
        process.waitFor(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      process = null;
    }
    if (java != null) {
      java.stop();
      java = null;
    }
  }

  public synchronized boolean isRunning() {
    return process != null ? process.isAlive() : java != null;
  }

  /** Which server this is: the real binary or the pure-Java fallback. */
  public Kind kind() {
    return kind;
  }

  public int port() {
    return port;
  }

  /** {@code 127.0.0.1:<port>}, as a {@code memcached} target's {@code servers} entry. */
  public String server() {
    return "127.0.0.1:" + port;
  }

  @Override
  public void close() {
    stop();
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException ignored) {
      // already shutting down
    }
  }

  private void awaitListening() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (System.nanoTime() < deadline) {
      if (process != null && !process.isAlive()) {
        throw new IllegalStateException("memcached exited with " + process.exitValue() + ": " + log());
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException notYet) {
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while waiting for memcached", e);
        }
      }
    }
    stop();
    throw new IllegalStateException("memcached did not listen on 127.0.0.1:" + port + " within 15 s. " + log());
  }

  private String log() {
    try {
      return logFile == null ? "" : Files.readString(logFile);
    } catch (IOException e) {
      return "(cannot read " + logFile + ")";
    }
  }

  /** The memcached binary to run, or {@code null} for the pure-Java fallback. */
  private static String chooseBinary() {
    String forced = System.getProperty("walmesh.testkit.memcached", "");
    if (forced.equals("java")) {
      return null;
    }
    if (!forced.isEmpty() && !forced.equals("binary")) {
      return forced;
    }
    String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/bin:/usr/local/bin:/usr/sbin";
    for (String dir : path.split(File.pathSeparator)) {
      File candidate = new File(dir, "memcached");
      if (!dir.isEmpty() && candidate.isFile() && candidate.canExecute()) {
        return candidate.getPath();
      }
    }
    if (forced.equals("binary")) {
      throw new IllegalStateException("walmesh.testkit.memcached=binary but no memcached binary on the PATH");
    }
    return null;
  }
}
