package io.walmesh.node.runtime;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.walmesh.node.cluster.ClusterState;
import io.walmesh.node.metrics.Metrics;
import io.walmesh.node.namespace.NamespaceConfig;
import io.walmesh.node.plugin.PluginRegistry;
import io.walmesh.spi.backend.Backend;
import io.walmesh.spi.backend.BackendStats;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes this node run what the cluster state assigns it: for each namespace, starts, stops or
 * hands over its runtime (producer, consumer or both), reports the outcome to the cluster state,
 * and remembers why a start failed. It does not decide which namespaces exist (that is the
 * {@link NamespaceManager}'s catalog). Every method that changes runtimes is called from the
 * manager's one-at-a-time queue, on the node's startup context.
 */
final class Reconciler {
  private static final Logger log = LoggerFactory.getLogger(NamespaceManager.class);
  /** A namespace that failed to start is not tried again by a reconcile within this long (an update tries at once). */
  static final long RETRY_AFTER_FAILURE_MS = 10_000;

  private final Vertx vertx;
  private final PluginRegistry plugins;
  private final Metrics metrics;
  private final ClusterState cluster;
  private final Map<String, NamespaceRuntime> running = new ConcurrentHashMap<>();
  private final Map<String, String> failures = new ConcurrentHashMap<>();
  private final Map<String, Long> failedAt = new ConcurrentHashMap<>();

  private final io.walmesh.node.producer.LocalProducers producers;

  Reconciler(Vertx vertx, PluginRegistry plugins, Metrics metrics, ClusterState cluster,
             io.walmesh.node.producer.LocalProducers producers) {
    this.producers = producers;
    this.vertx = vertx;
    this.plugins = plugins;
    this.metrics = metrics;
    this.cluster = cluster;
  }

  /**
   * Whether the namespace's entries live on one node's disk (its backend type says so,
   * {@code nodeLocal()}), so that node, its home node, must run it.
   */
  boolean pinnedToNode(NamespaceConfig config) {
    return plugins.nodeLocal(config.backendType());
  }

  /** Which parts of a namespace this node should run: {producer, consumer}. */
  boolean[] desired(NamespaceConfig config) {
    if (pinnedToNode(config)) {
      boolean home = cluster.isHome(config.homeNode());
      return new boolean[] {home, home};
    }
    return cluster.rolesFor(config.shard());
  }

  /** Whether this node should run any part of the namespace. */
  boolean runsAnyPart(NamespaceConfig config) {
    boolean[] want = desired(config);
    return want[0] || want[1];
  }

  /** Starts, stops or hands over the namespace's runtime so that it matches {@link #desired}. */
  Future<Void> reconcile(NamespaceConfig config) {
    boolean[] want = desired(config);
    NamespaceRuntime runtime = running.get(config.name());
    if (runtime != null && runtime.producer == want[0] && runtime.consumer == want[1]) {
      return Future.succeededFuture();
    }
    Future<Void> stopped = Future.succeededFuture();
    if (runtime != null) {
      running.remove(config.name());
      log.info("Namespace {}: this node now runs {} (was {}); handing over", config.name(), parts(want[0], want[1]),
          parts(runtime.producer, runtime.consumer));
      stopped = runtime.stop();
    }
    if (!want[0] && !want[1]) {
      return stopped;
    }
    Long failed = failedAt.get(config.name());
    if (failed != null && System.currentTimeMillis() - failed < RETRY_AFTER_FAILURE_MS) {
      return stopped; // failed a moment ago; the next reconcile tries again
    }
    return stopped.compose(v -> start(config, want[0], want[1])).recover(e -> Future.succeededFuture());
  }

  /** Runs a namespace with a changed document: stops its runtime and starts it again with the new one at once. */
  Future<Void> restart(NamespaceConfig config) {
    failedAt.remove(config.name());
    NamespaceRuntime runtime = running.remove(config.name());
    return (runtime == null ? Future.<Void>succeededFuture() : runtime.stop()).compose(v -> reconcile(config));
  }

  private static String parts(boolean producer, boolean consumer) {
    return producer && consumer ? "producer and consumer" : producer ? "the producer" : consumer ? "the consumer" : "nothing";
  }

  private Future<Void> start(NamespaceConfig config, boolean producer, boolean consumer) {
    failures.remove(config.name());
    return new NamespaceRuntime(vertx, plugins, metrics, producers, config, producer, consumer).start()
        .onSuccess(runtime -> {
          running.put(config.name(), runtime);
          failedAt.remove(config.name());
          log.atInfo().addKeyValue("namespace", config.name()).log("Namespace {} running: {} (backend {}, targets {})",
              config.name(), parts(producer, consumer), config.backendType(),
              config.targets().stream().map(t -> t.name() + ":" + t.type()).toList());
          cluster.reportState(config.name(), NamespaceState.RUNNING.label(), config.version(), null);
        })
        .onFailure(e -> {
          failures.put(config.name(), String.valueOf(e.getMessage()));
          failedAt.put(config.name(), System.currentTimeMillis());
          log.atError().addKeyValue("namespace", config.name()).setCause(e)
              .log("Namespace {} failed to start: {}", config.name(), e.getMessage());
          cluster.reportState(config.name(), NamespaceState.FAILED.label(), config.version(), String.valueOf(e.getMessage()));
        })
        .mapEmpty();
  }

  /** Stops the namespace's runtime here, if any, and forgets its failures. */
  Future<Void> stop(String name) {
    failures.remove(name);
    failedAt.remove(name);
    NamespaceRuntime runtime = running.remove(name);
    return runtime == null ? Future.succeededFuture() : runtime.stop();
  }

  /** Takes the runtime out (for a delete that destroys its entries); null when it does not run here. */
  NamespaceRuntime take(String name) {
    failures.remove(name);
    return running.remove(name);
  }

  NamespaceRuntime runtime(String name) {
    return running.get(name);
  }

  /** Why the namespace is not running here, when it failed; null otherwise. */
  String failure(String name) {
    return failures.get(name);
  }

  /** Records why a namespace cannot run here (a document this node refused). */
  void refused(String name, String why) {
    failures.put(name, why);
  }

  /** The state and stats this node shows for a namespace. */
  NamespaceManager.Status status(NamespaceConfig config, io.vertx.core.json.JsonObject shown, String version) {
    NamespaceRuntime runtime = running.get(config.name());
    String failure = failures.get(config.name());
    if (runtime != null && runtime.deliveriesPaused() != null) {
      failure = runtime.deliveriesPaused();
    }
    Optional<String> storage = runtime == null || runtime.backend() == null ? Optional.empty() : runtime.backend().unavailable();
    if (storage.isPresent()) {
      failure = "cannot store writes durably: " + storage.get();
    }
    NamespaceState state = storage.isPresent() ? NamespaceState.UNAVAILABLE
        : runtime != null ? (failure != null ? NamespaceState.PAUSED : NamespaceState.RUNNING)
        : failure != null ? NamespaceState.FAILED : runsAnyPart(config) ? NamespaceState.STARTING : NamespaceState.ELSEWHERE;
    return new NamespaceManager.Status(config, shown, state, failure,
        runtime == null ? Optional.of(BackendStats.NONE) : runtime.stats(), version);
  }

  /** Why some namespace running here cannot store writes durably now (its backend says so), or empty. */
  Optional<String> storageUnavailable() {
    for (NamespaceRuntime runtime : running.values()) {
      Backend backend = runtime.backend();
      Optional<String> why = backend == null ? Optional.empty() : backend.unavailable();
      if (why.isPresent()) {
        return Optional.of("namespace " + runtime.config.name() + ": " + why.get());
      }
    }
    return Optional.empty();
  }

  /** Restarts the deliveries of the namespaces here that use these target types (a plugin changed). */
  Future<Void> restartDeliveries(Set<String> targetTypes) {
    Future<Void> chain = Future.succeededFuture();
    for (NamespaceRuntime runtime : List.copyOf(running.values())) {
      if (runtime.usesAny(targetTypes)) {
        // one namespace's failure must not keep the others on the old plugin
        chain = chain.transform(ignored -> runtime.restartDeliveries()
            .onSuccess(v -> log.info("Namespace {}: deliveries restarted with the target types installed now{}",
                runtime.config.name(), runtime.deliveriesPaused() == null ? "" : "; " + runtime.deliveriesPaused()))
            .onFailure(e -> log.error("Namespace {}: restarting deliveries failed: {}", runtime.config.name(),
                e.getMessage(), e)));
      }
    }
    return chain;
  }

  /** Stops every runtime, draining in-flight work; entries stay stored. */
  Future<Void> stopAll() {
    List<Future<Void>> stops = running.values().stream().map(NamespaceRuntime::stop).toList();
    running.clear();
    return Future.join(stops).mapEmpty();
  }
}
