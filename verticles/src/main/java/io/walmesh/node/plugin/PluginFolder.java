package io.walmesh.node.plugin;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Watches the plugins directory and reports what changed in it as typed events; it installs
 * nothing itself ({@link PluginManager} does). A jar is reported {@link JarReady} once its size
 * and time look the same on two scans in a row (at start at once), so a half-copied jar is not
 * read, and again only when it changes. A jar acted on before and now missing is reported
 * {@link JarGone} on every scan until the manager says it is done with it ({@link #forget}).
 */
final class PluginFolder {
  /** A change in the directory. */
  sealed interface Change permits JarReady, JarGone { }

  /** A new or changed jar, stable across two scans; {@code stamp} is its size and time. */
  record JarReady(Path jar, String stamp) implements Change { }

  /** A jar acted on before that is no longer in the directory, by file name. */
  record JarGone(String fileName) implements Change { }

  /** One scan: the changes, and the file names present now. */
  record Scan(List<Change> changes, Set<String> present) { }

  private final Vertx vertx;
  private final Path dir;
  private final long intervalMs;
  /** Size and time of each jar file as last seen by a scan, by file name. */
  private final Map<String, String> seen = new HashMap<>();
  /** Size and time of each jar file already acted on (installed or reported), by file name. */
  private final Map<String, String> handled = new ConcurrentHashMap<>();
  private long timerId = -1;
  private boolean scanning;
  private volatile boolean closed;

  PluginFolder(Vertx vertx, Path dir, long intervalMs) {
    this.vertx = vertx;
    this.dir = dir;
    this.intervalMs = intervalMs;
  }

  Path dir() {
    return dir;
  }

  /** Lists the directory (on a worker) and reports what changed since the last scan. */
  Future<Scan> scan(boolean initial) {
    return vertx.executeBlocking(() -> {
      Map<String, String> now = new TreeMap<>();
      try (Stream<Path> files = Files.list(dir)) {
        for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".jar") && Files.isRegularFile(f)).toList()) {
          now.put(file.getFileName().toString(), stamp(file));
        }
      }
      return now;
    }).map(now -> {
      List<Change> changes = new ArrayList<>();
      now.forEach((name, stamp) -> {
        boolean stable = initial || stamp.equals(seen.get(name));
        if (stable && !stamp.equals(handled.get(name))) {
          changes.add(new JarReady(dir.resolve(name), stamp));
        }
      });
      handled.keySet().stream().filter(name -> !now.containsKey(name)).sorted().forEach(name -> changes.add(new JarGone(name)));
      seen.clear();
      seen.putAll(now);
      return new Scan(changes, Set.copyOf(now.keySet()));
    });
  }

  /** Records that this version of a jar was acted on (installed, or refused and reported): it is not reported again until it changes. */
  void handled(String fileName, String stamp) {
    handled.put(fileName, stamp);
  }

  /** Records a jar the manager put in the directory itself (an upload, a jar from the mesh). Blocking. */
  void handled(Path file) throws IOException {
    handled.put(file.getFileName().toString(), stamp(file));
  }

  /** The manager is done with a jar (deleted, or its deletion applied): it is no longer reported. */
  void forget(String fileName) {
    handled.remove(fileName);
  }

  private static String stamp(Path file) throws IOException {
    return Files.size(file) + "@" + Files.getLastModifiedTime(file).toMillis();
  }

  /** Runs {@code scan} every interval, never two at once, until {@link #close}. */
  void watch(Supplier<Future<Void>> scan) {
    if (intervalMs <= 0 || closed) {
      return;
    }
    timerId = vertx.setTimer(intervalMs, id -> {
      if (scanning) {
        watch(scan);
        return;
      }
      scanning = true;
      scan.get().onComplete(ar -> {
        scanning = false;
        watch(scan);
      });
    });
  }

  void close() {
    closed = true;
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
    }
  }
}
