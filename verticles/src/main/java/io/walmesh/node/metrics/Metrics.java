package io.walmesh.node.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.walmesh.spi.backend.BackendStats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The node's meters. Names as Prometheus shows them:
 * <ul>
 *   <li>{@code walmesh_writes_total{namespace,result}}: write requests by outcome
 *       ({@code success}, {@code duplicate}, {@code failed}, {@code unknown}, {@code rejected},
 *       {@code unavailable}; {@code not-found} under namespace {@code (unknown)}, and {@code rejected}
 *       under {@code (none)} for writes that named no namespace).</li>
 *   <li>{@code walmesh_write_latency_seconds{namespace}}: time from request to durable answer.</li>
 *   <li>{@code walmesh_deliveries_total{namespace,target,result}}: delivery attempts
 *       ({@code success}, {@code retryable}, {@code permanent}).</li>
 *   <li>{@code walmesh_delivered_age_seconds{namespace,target}}: time from write to successful
 *       delivery per target (a region's replication lag when the target is a remote walmesh).</li>
 *   <li>{@code walmesh_retries_total{namespace}}, {@code walmesh_dead_lettered_total{namespace}}.</li>
 *   <li>{@code walmesh_entries_pending{namespace}}, {@code walmesh_dlq_entries{namespace}},
 *       {@code walmesh_delivery_lag_seconds{namespace}} (how late the oldest due entry is).</li>
 * </ul>
 */
public final class Metrics {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  /** Counters by name and tags: looked up on every write and delivery, built once. */
  private final java.util.Map<String, Counter> counters = new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.Map<String, Timer> timers = new java.util.concurrent.ConcurrentHashMap<>();

  public String scrape() {
    return registry.scrape();
  }

  public Counter writes(String namespace, String result) {
    return counters.computeIfAbsent("writes|" + namespace + "|" + result, k -> Counter.builder("walmesh.writes")
        .description("WriteToLog requests by outcome").tag("namespace", namespace).tag("result", result).register(registry));
  }

  public Timer writeLatency(String namespace) {
    return Timer.builder("walmesh.write.latency").description("Time from WriteToLog request to durable answer")
        .tag("namespace", namespace).publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(30))
        .register(registry);
  }

  public Counter deliveries(String namespace, String target, String result) {
    return counters.computeIfAbsent("deliveries|" + namespace + "|" + target + "|" + result, k ->
        Counter.builder("walmesh.deliveries").description("Delivery attempts by outcome")
            .tag("namespace", namespace).tag("target", target).tag("result", result).register(registry));
  }

  /**
   * Time from an entry's write to its delivery to one target: the end-to-end lag of that target,
   * and the replication lag of a region when the target is a remote walmesh.
   */
  public Timer deliveredAge(String namespace, String target) {
    return timers.computeIfAbsent("age|" + namespace + "|" + target, k -> Timer.builder("walmesh.delivered.age")
        .description("Time from an entry's write to its successful delivery to a target")
        .tag("namespace", namespace).tag("target", target).publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofHours(1))
        .register(registry));
  }

  public Counter retries(String namespace) {
    return counters.computeIfAbsent("retries|" + namespace, k -> Counter.builder("walmesh.retries")
        .description("Entries rescheduled with backoff").tag("namespace", namespace).register(registry));
  }

  public Counter deadLettered(String namespace) {
    return counters.computeIfAbsent("dead|" + namespace, k -> Counter.builder("walmesh.dead.lettered")
        .description("Entries moved to the DLQ").tag("namespace", namespace).register(registry));
  }

  /** Registers the gauges that read a namespace's backend counts. */
  public void namespaceGauges(String namespace, Supplier<BackendStats> stats) {
    Gauge.builder("walmesh.entries.pending", () -> stats.get().pending())
        .description("Entries stored and not yet delivered").tag("namespace", namespace).register(registry);
    Gauge.builder("walmesh.dlq.entries", () -> stats.get().deadLetters())
        .description("Entries in the dead-letter queue").tag("namespace", namespace).register(registry);
    Gauge.builder("walmesh.delivery.lag.seconds", () -> stats.get().oldestDueLagMs() / 1000.0)
        .description("How far past its due time the oldest due entry is").tag("namespace", namespace).register(registry);
  }

  /** Removes every meter of a namespace (when it is removed or redeployed). */
  public void removeNamespace(String namespace) {
    List<Meter> meters = new ArrayList<>(registry.find("walmesh.entries.pending").tag("namespace", namespace).meters());
    meters.addAll(registry.find("walmesh.dlq.entries").tag("namespace", namespace).meters());
    meters.addAll(registry.find("walmesh.delivery.lag.seconds").tag("namespace", namespace).meters());
    meters.forEach(registry::remove);
  }
}
