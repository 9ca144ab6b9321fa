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

  CpuMeter() {
    watch("client", ProcessHandle.current());
  }

  /** Counts {@code process}'s CPU time under {@code label} in every window from now on. */
  CpuMeter watch(String label, ProcessHandle process) {
    processes.put(label, process);
    return this;
  }

  /** Stops counting {@code label} (its process ended). */
  void forget(String label) {
    processes.remove(label);
  }

  /** Each watched process's CPU time so far, in nanoseconds; absent for a process the system no longer reports. */
  Map<String, Long> sample() {
    Map<String, Long> now = new LinkedHashMap<>();
    processes.forEach((label, process) -> process.info().totalCpuDuration().map(Duration::toNanos)
        .ifPresent(nanos -> now.put(label, nanos)));
    return now;
  }

  /** The CPU time each process spent between two samples, in nanoseconds. */
  static Map<String, Long> between(Map<String, Long> from, Map<String, Long> to) {
    Map<String, Long> spent = new LinkedHashMap<>();
    to.forEach((label, nanos) -> {
      Long before = from.get(label);
      if (before != null) {
        spent.put(label, nanos - before);
      }
    });
    return spent;
  }
}
