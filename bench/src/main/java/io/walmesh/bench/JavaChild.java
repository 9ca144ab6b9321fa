package io.walmesh.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A baseline server (the minimal gRPC WAL, a Kafka broker) in a JVM of its own, from the bench's own jar, with the
 * same memory settings the launcher gives a node. It prints one line when it serves, and stops when its standard
 * input closes.
 */
final class JavaChild implements AutoCloseable {
  /** The launcher's memory defaults (./walmesh), so that a baseline server runs under the node's limits. */
  static final List<String> NODE_MEMORY = List.of("-Xms64m", "-Xmx256m", "-XX:MaxDirectMemorySize=128m",
      "-XX:MaxMetaspaceSize=128m", "-XX:ReservedCodeCacheSize=64m");

  /** What a child prints, followed by its address, once it serves. */
  static final String READY_PREFIX = "serving ";

  private final Process process;
  private final String announced;

  private JavaChild(Process process, String announced) {
    this.process = process;
    this.announced = announced;
  }

  /**
   * For a child's {@code main}: announces that it serves ({@link #READY_PREFIX} + {@code what}, e.g. {@code SQS at
   * http://...}), then blocks until the bench closes its standard input (or dies).
   */
  static void serveUntilStdinCloses(String what) throws java.io.IOException {
    System.out.println(READY_PREFIX + what);
    System.out.flush();
    while (System.in.read() >= 0) {
      // nothing to read: the end of the stream is the signal
    }
  }

  /** Starts {@code mainClass} with {@code args} and returns once it printed its first line (its address). */
  static JavaChild start(Path log, List<String> jvmOptions, Class<?> mainClass, String... args) throws Exception {
    Path jar = Path.of(Bench.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", jar.toString(), mainClass.getName()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectError(log.toFile()).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    String line;
    do { // a library may log to standard output before the line that says the child serves
      line = out.readLine();
      if (line == null) {
        process.waitFor(10, TimeUnit.SECONDS);
        throw new IllegalStateException(mainClass.getSimpleName() + " exited before it served; see " + log);
      }
    } while (!line.startsWith(READY_PREFIX));
    Thread drain = new Thread(() -> { // keeps the pipe from filling and blocking the child
      try {
        while (out.readLine() != null) {
          // discarded
        }
      } catch (java.io.IOException gone) {
        // the child exited
      }
    }, mainClass.getSimpleName() + "-stdout");
    drain.setDaemon(true);
    drain.start();
    return new JavaChild(process, line.substring(READY_PREFIX.length()));
  }

  /** What it printed after {@link #READY_PREFIX} when it began to serve, e.g. {@code gRPC on 41234}. */
  String announced() {
    return announced;
  }

  /** The last word of {@link #announced()}: the port or address it serves on. */
  String address() {
    return announced.substring(announced.lastIndexOf(' ') + 1);
  }

  long pid() {
    return process.pid();
  }

  @Override
  public void close() throws Exception {
    process.getOutputStream().close();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}
