package io.walmesh.bench;

import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

/**
 * One measured run: how many operations completed in how long, and their latency distribution.
 *
 * @param name what was measured
 * @param ops operations completed inside the measured window
 * @param errors operations that failed
 * @param seconds the measured window
 * @param latencyMicros latencies in microseconds
 */
record Measurement(String name, long ops, long errors, double seconds, Histogram latencyMicros) {

  double throughput() {
    return ops / seconds;
  }

  double percentileMs(double p) {
    return latencyMicros.getTotalCount() == 0 ? Double.NaN : latencyMicros.getValueAtPercentile(p) / 1000.0;
  }

  JsonObject toJson() {
    return new JsonObject().put("name", name).put("ops", ops).put("errors", errors).put("seconds", seconds)
        .put("throughput-per-sec", throughput()).put("p50-ms", percentileMs(50)).put("p99-ms", percentileMs(99))
        .put("p999-ms", percentileMs(99.9)).put("max-ms", latencyMicros.getMaxValue() / 1000.0);
  }
}
