package io.walmesh.bench;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * One measured run: how many operations completed in how long, their latency distribution, and the CPU time each
 * watched process spent in the window.
 *
 * @param name what was measured
 * @param ops operations completed inside the measured window
 * @param errors operations that failed
 * @param seconds the measured window
 * @param latencyMicros latencies in microseconds
 * @param cpuNanos CPU time per watched process ({@link CpuMeter}) in the measured window; empty when not measured
 */
record Measurement(String name, long ops, long errors, double seconds, Histogram latencyMicros, Map<String, Long> cpuNanos) {

  Measurement(String name, long ops, long errors, double seconds, Histogram latencyMicros) {
    this(name, ops, errors, seconds, latencyMicros, Map.of());
  }

  double throughput() {
    return ops / seconds;
  }

  double percentileMs(double p) {
    return latencyMicros.getTotalCount() == 0 ? Double.NaN : latencyMicros.getValueAtPercentile(p) / 1000.0;
  }

  /** Microseconds of {@code process}'s CPU per operation in the window; NaN when it was not measured. */
  double cpuMicrosPerOp(String process) {
    Long nanos = cpuNanos.get(process);
    return nanos == null || ops == 0 ? Double.NaN : nanos / 1000.0 / ops;
  }

  /** The same run counted in other units (entries of batch calls): {@code ops} replaced, everything else kept. */
  Measurement withOps(long ops) {
    return new Measurement(name, ops, errors, seconds, latencyMicros, cpuNanos);
  }

  JsonObject toJson() {
    JsonObject json = new JsonObject().put("name", name).put("ops", ops).put("errors", errors).put("seconds", seconds)
        .put("throughput-per-sec", throughput()).put("p50-ms", percentileMs(50)).put("p99-ms", percentileMs(99))
        .put("p999-ms", percentileMs(99.9)).put("max-ms", latencyMicros.getMaxValue() / 1000.0);
    if (!cpuNanos.isEmpty()) {
      JsonObject cpu = new JsonObject();
      cpuNanos.keySet().forEach(process -> cpu.put(process, cpuMicrosPerOp(process)));
      json.put("cpu-us-per-op", cpu);
    }
    return json;
  }
}
