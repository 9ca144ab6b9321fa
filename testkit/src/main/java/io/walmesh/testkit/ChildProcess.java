package io.walmesh.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A JVM started as a child process with the test's own classpath, its output in a log file, that a
 * test can stop gracefully ({@link #stop()}) or kill with SIGKILL ({@link #kill()}), like
 * {@code kill -9}. Killed in a shutdown hook if the test forgets.
 */
public final class ChildProcess implements AutoCloseable {
  private final Process process;
  private final Path logFile;
  private final Thread reaper;

  private ChildProcess(Process process, Path logFile) {
    this.process = process;
    this.logFile = logFile;
    this.reaper = new Thread(process::destroyForcibly, "kill-child-" + process.pid());
    Runtime.getRuntime().addShutdownHook(reaper);
  }

  /** Starts {@code mainClass} with {@code args} in a new JVM on this JVM's classpath. */
  public static ChildProcess startJava(String mainClass, List<String> args, Path logFile, String... jvmArgs) {
    return startJava(List.of(), mainClass, args, logFile, jvmArgs);
  }

  /**
   * Like {@link #startJava(String, List, Path, String...)}, run under a launcher command such as
   * {@code prlimit --nofile=1024:1024} (which limits the child's open files).
   */
  public static ChildProcess startJava(List<String> launcher, String mainClass, List<String> args, Path logFile,
                                       String... jvmArgs) {
    List<String> command = new ArrayList<>(launcher);
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx512m");
    command.add("-XX:+UseSerialGC");
    command.addAll(List.of(jvmArgs));
    command.add("-cp");
    // Surefire runs tests from a manifest-only jar; its real test class path is in this property.
    command.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
    command.add(mainClass);
    command.addAll(args);
    try {
      Files.createDirectories(logFile.getParent());
      Process process = new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
          .start();
      return new ChildProcess(process, logFile);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Waits for the child to exit on its own; its exit status, or -1 when it still runs after the timeout. */
  public int waitForExit(java.time.Duration timeout) {
    try {
      return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** The child's output so far. */
  public String output() {
    try {
      return Files.exists(logFile) ? Files.readString(logFile) : "";
    } catch (IOException e) {
      return "(cannot read " + logFile + ": " + e.getMessage() + ")";
    }
  }

  /** SIGKILL, like {@code kill -9}: no shutdown hook, no flush, no goodbye. */
  public void kill() {
    process.destroyForcibly();
    waitFor();
  }

  /** SIGTERM, then SIGKILL after 20 s. */
  public void stop() {
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        kill();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void waitFor() {
    try {
      process.waitFor(20, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      kill();
    }
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException ignored) {
      // already shutting down
    }
  }
}
