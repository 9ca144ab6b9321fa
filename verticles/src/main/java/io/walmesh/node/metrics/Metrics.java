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
 * A scrape stays small with thousands of namespaces: only the first {@link #maxNamespaceSeries()}
 * namespaces (in the order they were first metered, for the node's life) get series of their own;
 * every later one is counted under {@code namespace="(other)"} (and {@code target="(other)"}), its
 * gauges summed there (the lag is the largest). The timers keep a few fixed buckets, not
 * percentile histograms.
 */
public final class Metrics {
  /** How many namespaces get series of their own, by default; the rest share {@link #OTHER}. */
  public static final int DEFAULT_MAX_NAMESPACE_SERIES = 200;
  /** The namespace (and target) label of the namespaces beyond the series limit. */
  public static final String OTHER = "(other)";
  private static final Duration[] WRITE_LATENCY_BUCKETS = {Duration.ofMillis(5), Duration.ofMillis(10),
      Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(5)};
  private static final Duration[] DELIVERED_AGE_BUCKETS = {Duration.ofMillis(100), Duration.ofSeconds(1),
      Duration.ofSeconds(10), Duration.ofMinutes(1), Duration.ofMinutes(10), Duration.ofHours(1)};

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private volatile int maxNamespaceSeries;
  /** The namespaces with series of their own. */
  private final java.util.Set<String> ownSeries = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** The stats of the namespaces counted under {@link #OTHER}, summed by its gauges. */
  private final java.util.Map<String, Supplier<BackendStats>> otherStats = new java.util.concurrent.ConcurrentHashMap<>();
  private boolean otherGauges;
  /** Counters by name and tags: looked up on every write and delivery, built once. */
  private final java.util.Map<String, Counter> counters = new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.Map<String, Timer> timers = new java.util.concurrent.ConcurrentHashMap<>();

  public Metrics() {
    this(DEFAULT_MAX_NAMESPACE_SERIES);
  }

  /** @param maxNamespaceSeries how many namespaces get series of their own (node config: {@code metrics.max-namespace-series}) */
  public Metrics(int maxNamespaceSeries) {
    maxNamespaceSeries(maxNamespaceSeries);
  }

  private volatile io.walmesh.node.tracing.Tracing tracing = io.walmesh.node.tracing.Tracing.OFF;

  /** The node's spans (off unless the node config has {@code tracing}); kept here beside the metrics it complements. */
  public io.walmesh.node.tracing.Tracing tracing() {
    return tracing;
  }

  public Metrics tracing(io.walmesh.node.tracing.Tracing tracing) {
    this.tracing = tracing;
    return this;
  }

  /** How many namespaces get series of their own; namespaces already metered keep their label. */
  public Metrics maxNamespaceSeries(int max) {
    if (max < 0) {
      throw new IllegalArgumentException("metrics.max-namespace-series must be 0 or more, got " + max);
    }
    this.maxNamespaceSeries = max;
    return this;
  }

  public int maxNamespaceSeries() {
    return maxNamespaceSeries;
  }

  /** The Prometheus text; blocking (it reads every meter), so call it off the event loop. */
  public String scrape() {
    return registry.scrape();
  }

  /**
   * The label a namespace's meters carry: its name while fewer than {@link #maxNamespaceSeries()}
   * namespaces have their own, else {@link #OTHER}. Pseudo namespaces like {@code (unknown)} keep theirs.
   */
  public String label(String namespace) {
    if (namespace.startsWith("(") || ownSeries.contains(namespace)) {
      return namespace;
    }
    synchronized (ownSeries) {
      if (ownSeries.contains(namespace) || ownSeries.size() < maxNamespaceSeries) {
        ownSeries.add(namespace);
        return namespace;
      }
    }
    return OTHER;
  }

  private String targetLabel(String namespaceLabel, String target) {
    return OTHER.equals(namespaceLabel) ? OTHER : target;
  }

  public Counter writes(String namespace, String result) {
    return counters.computeIfAbsent("writes|" + namespace + "|" + result, k -> Counter.builder("walmesh.writes")
        .description("WriteToLog requests by outcome").tag("namespace", label(namespace)).tag("result", result)
        .register(registry));
  }

  public Timer writeLatency(String namespace) {
    return timers.computeIfAbsent("latency|" + namespace, k -> Timer.builder("walmesh.write.latency")
        .description("Time from WriteToLog request to durable answer")
        .tag("namespace", label(namespace)).serviceLevelObjectives(WRITE_LATENCY_BUCKETS)
        .register(registry));
  }

  public Counter deliveries(String namespace, String target, String result) {
    return counters.computeIfAbsent("deliveries|" + namespace + "|" + target + "|" + result, k -> {
      String label = label(namespace);
      return Counter.builder("walmesh.deliveries").description("Delivery attempts by outcome")
          .tag("namespace", label).tag("target", targetLabel(label, target)).tag("result", result).register(registry);
    });
  }

  /**
   * Time from an entry's write to its delivery to one target: the end-to-end lag of that target,
   * and the replication lag of a region when the target is a remote walmesh.
   */
  public Timer deliveredAge(String namespace, String target) {
    return timers.computeIfAbsent("age|" + namespace + "|" + target, k -> {
      String label = label(namespace);
      return Timer.builder("walmesh.delivered.age")
          .description("Time from an entry's write to its successful delivery to a target")
          .tag("namespace", label).tag("target", targetLabel(label, target)).serviceLevelObjectives(DELIVERED_AGE_BUCKETS)
          .register(registry);
    });
  }

  public Counter retries(String namespace) {
    return counters.computeIfAbsent("retries|" + namespace, k -> Counter.builder("walmesh.retries")
        .description("Entries rescheduled with backoff").tag("namespace", label(namespace)).register(registry));
  }

  public Counter deadLettered(String namespace) {
    return counters.computeIfAbsent("dead|" + namespace, k -> Counter.builder("walmesh.dead.lettered")
        .description("Entries moved to the DLQ").tag("namespace", label(namespace)).register(registry));
  }

  /** Registers the gauges that read a namespace's backend counts (or adds them to {@link #OTHER}'s). */
  public void namespaceGauges(String namespace, Supplier<BackendStats> stats) {
    if (OTHER.equals(label(namespace))) {
      otherStats.put(namespace, stats);
      registerOtherGauges();
      return;
    }
    Gauge.builder("walmesh.entries.pending", () -> stats.get().pending())
        .description("Entries stored and not yet delivered").tag("namespace", namespace).register(registry);
    Gauge.builder("walmesh.dlq.entries", () -> stats.get().deadLetters())
        .description("Entries in the dead-letter queue").tag("namespace", namespace).register(registry);
    Gauge.builder("walmesh.delivery.lag.seconds", () -> stats.get().oldestDueLagMs() / 1000.0)
        .description("How far past its due time the oldest due entry is").tag("namespace", namespace).register(registry);
  }

  /** Removes every meter of a namespace (when it is removed or redeployed). */
  public void removeNamespace(String namespace) {
    if (otherStats.remove(namespace) != null) {
      return;
    }
    List<Meter> meters = new ArrayList<>(registry.find("walmesh.entries.pending").tag("namespace", namespace).meters());
    meters.addAll(registry.find("walmesh.dlq.entries").tag("namespace", namespace).meters());
    meters.addAll(registry.find("walmesh.delivery.lag.seconds").tag("namespace", namespace).meters());
    meters.forEach(registry::remove);
  }

  private synchronized void registerOtherGauges() {
    if (otherGauges) {
      return;
    }
    otherGauges = true;
    Gauge.builder("walmesh.entries.pending", () -> sumOther(BackendStats::pending))
        .description("Entries stored and not yet delivered").tag("namespace", OTHER).register(registry);
    Gauge.builder("walmesh.dlq.entries", () -> sumOther(BackendStats::deadLetters))
        .description("Entries in the dead-letter queue").tag("namespace", OTHER).register(registry);
    Gauge.builder("walmesh.delivery.lag.seconds", () -> otherStats.values().stream()
            .mapToLong(s -> s.get().oldestDueLagMs()).max().orElse(0) / 1000.0)
        .description("How far past its due time the oldest due entry is").tag("namespace", OTHER).register(registry);
  }

  private double sumOther(java.util.function.ToLongFunction<BackendStats> count) {
    return otherStats.values().stream().mapToLong(s -> count.applyAsLong(s.get())).sum();
  }
}
