package io.walmesh.bench;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The CPU time of the processes a run involves (this client, the node, the baseline server, a broker), read from the
 * operating system ({@link ProcessHandle.Info#totalCpuDuration()}: user + system time, from {@code /proc/<pid>/stat}
 * on Linux, 10 ms ticks) at the edges of each measured window. CPU per operation is the figure that noise on a shared
 * 2-core machine moves least: a stall or a neighbour slows a run's throughput, but not what each write costs the
 * process that serves it.
 */
final class CpuMeter {
  private final Map<String, ProcessHandle> processes = new LinkedHashMap<>();
  /** Processes whose CPU is also counted per role of their threads ({@link #watchThreads}). */
  private final Map<String, ProcessHandle> byThread = new LinkedHashMap<>();
  /** The kernel's clock ticks per second, the unit of {@code /proc/<pid>/task/<tid>/stat}'s CPU times. */
  private static final long TICKS_PER_SECOND = 100;

  CpuMeter() {
    watch("client", ProcessHandle.current());
  }

  /** Counts {@code process}'s CPU time under {@code label} in every window from now on. */
  CpuMeter watch(String label, ProcessHandle process) {
    processes.put(label, process);
    return this;
  }

  /**
   * Counts {@code process}'s CPU time under {@code label}, and also under {@code label / role} for each role of its
   * threads ({@link #role}: event loops, the log writer, RocksDB's background threads, GC, the JIT...), read from
   * {@code /proc/<pid>/task} (Linux only; elsewhere only the total). A flame graph from JFR shows only Java frames:
   * the native work of RocksDB, the garbage collector and the compilers is in these figures, not in it.
   */
  CpuMeter watchThreads(String label, ProcessHandle process) {
    byThread.put(label, process);
    return watch(label, process);
  }

  /** Stops counting {@code label} (its process ended). */
  void forget(String label) {
    processes.remove(label);
    byThread.remove(label);
  }

  /**
   * What a thread does, from its name as the kernel keeps it (the first 15 characters of the Java thread's name), for
   * the node and the minimal gRPC WAL alike.
   */
  static String role(String thread) {
    if (thread.startsWith("vert.x-eventloo") || thread.startsWith("grpc-default-wo") || thread.startsWith("grpc-nio-worke")
        || thread.startsWith("grpc-default-bo") || thread.startsWith("vert.x-acceptor")) {
      return "event loops";
    } else if (thread.startsWith("grpc-default-ex")) {
      return "gRPC handlers";
    } else if (thread.startsWith("walmesh-local-l") || thread.startsWith("raw-rocks-write")) {
      return "log writer";
    } else if (thread.startsWith("rocksdb:")) {
      return "RocksDB background";
    } else if (thread.startsWith("GC Thread") || thread.startsWith("G1 ") || thread.equals("VM Thread")) {
      return "GC";
    } else if (thread.startsWith("C1 CompilerThre") || thread.startsWith("C2 CompilerThre")) {
      return "JIT";
    } else if (thread.startsWith("JFR ")) {
      return "JFR (--profile)";
    } else if (thread.startsWith("kafka-producer-")) {
      return "Kafka producer I/O";
    } else if (thread.startsWith("walmesh-kafka-s")) {
      return "Kafka send thread"; // walmesh's thread that calls KafkaProducer.send, which may block, off the event loops
    }
    return "other";
  }

  /**
   * CPU nanoseconds per role of {@code process}'s threads now; empty where there is no {@code /proc}. A thread that
   * ended is no longer listed, and its CPU is not in the figures: fine for servers, whose threads live as long as
   * they do.
   */
  static Map<String, Long> byRole(ProcessHandle process) {
    Map<String, Long> nanos = new java.util.TreeMap<>();
    java.nio.file.Path tasks = java.nio.file.Path.of("/proc", Long.toString(process.pid()), "task");
    try (java.util.stream.Stream<java.nio.file.Path> threads = java.nio.file.Files.list(tasks)) {
      threads.forEach(task -> {
        String stat;
        try {
          stat = java.nio.file.Files.readString(task.resolve("stat"));
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
          return; // the thread ended meanwhile
        }
        // pid (comm) state ppid ... utime stime: fields 14 and 15, counted after the comm's closing parenthesis
        int open = stat.indexOf('(');
        int close = stat.lastIndexOf(')');
        String[] fields = stat.substring(close + 2).split(" ");
        long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        nanos.merge(role(stat.substring(open + 1, close)), ticks * (1_000_000_000L / TICKS_PER_SECOND), Long::sum);
      });
    } catch (java.io.IOException | java.io.UncheckedIOException e) {
      return Map.of();
    }
    return nanos;
  }

  /** Each watched process's CPU time so far, in nanoseconds; absent for a process the system no longer reports. */
  Map<String, Long> sample() {
    Map<String, Long> now = new LinkedHashMap<>();
    processes.forEach((label, process) -> process.info().totalCpuDuration().map(Duration::toNanos)
        .ifPresent(nanos -> now.put(label, nanos)));
    byThread.forEach((label, process) -> byRole(process).forEach((role, nanos) -> now.put(label + " / " + role, nanos)));
    return now;
  }

  /** The CPU time each process spent between two samples, in nanoseconds. */
  static Map<String, Long> between(Map<String, Long> from, Map<String, Long> to) {
    Map<String, Long> spent = new LinkedHashMap<>();
    to.forEach((label, nanos) -> {
      // a role whose first thread started inside the window had nothing before it; a process had to be watched
      Long before = from.getOrDefault(label, label.contains(" / ") ? 0L : null);
      if (before != null) {
        spent.put(label, nanos - before);
      }
    });
    return spent;
  }
}
