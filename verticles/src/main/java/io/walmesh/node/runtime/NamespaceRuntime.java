package io.walmesh.node.runtime;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.walmesh.node.consumer.ConsumerVerticle;
import io.walmesh.node.metrics.Metrics;
import io.walmesh.node.namespace.NamespaceConfig;
import io.walmesh.node.namespace.TargetConfig;
import io.walmesh.node.plugin.PluginRegistry;
import io.walmesh.node.producer.ProducerVerticle;
import io.walmesh.spi.backend.Backend;
import io.walmesh.spi.backend.BackendStats;
import io.walmesh.spi.backend.CountingBackend;
import java.util.Optional;
import io.walmesh.spi.target.Target;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One running namespace on this node: its backend, and its producer verticle, its consumer verticle
 * and targets, or both (in a mesh a node may run only one of them for a shard).
 */
final class NamespaceRuntime {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(NamespaceRuntime.class);
  final NamespaceConfig config;
  private final Vertx vertx;
  private final PluginRegistry plugins;
  private final Metrics metrics;
  final boolean producer;
  final boolean consumer;
  private Backend backend;
  private final Map<String, Target> targets = new HashMap<>();
  private String producerId;
  private String consumerId;
  private volatile String deliveriesPaused;
  private volatile ConsumerVerticle consumerVerticle;
  private final io.walmesh.node.producer.LocalProducers producers;

  NamespaceRuntime(Vertx vertx, PluginRegistry plugins, Metrics metrics, io.walmesh.node.producer.LocalProducers producers,
                   NamespaceConfig config, boolean producer, boolean consumer) {
    this.producers = producers;
    this.producer = producer;
    this.consumer = consumer;
    this.vertx = vertx;
    this.plugins = plugins;
    this.metrics = metrics;
    this.config = config;
  }

  /** Opens the backend, creates the targets, then deploys the consumer and the producer (each when this node plays it). */
  Future<NamespaceRuntime> start() {
    return plugins.backend(config.backendType()).open(plugins.spec(config, consumer)).compose(opened -> {
      backend = opened;
      if (opened instanceof CountingBackend counting) {
        metrics.namespaceGauges(config.name(), counting::stats);
      }
      // one listener for the runtime's life; it wakes whichever consumer runs now
      backend.onAvailable(() -> {
        ConsumerVerticle current = consumerVerticle;
        if (current != null) {
          current.wakeUp();
        }
      });
      if (!consumer) {
        return Future.succeededFuture((String) null);
      }
      createTargets();
      return deployConsumer();
    }).compose(id -> {
      consumerId = id;
      return producer ? vertx.deployVerticle(new ProducerVerticle(config, backend, metrics, producers)) : Future.succeededFuture((String) null);
    }).map(id -> {
      producerId = id;
      return this;
    }).recover(e -> stop().transform(ignored -> Future.failedFuture(e)));
  }

  private void createTargets() {
    for (TargetConfig target : config.targets()) {
      targets.put(target.name(), plugins.target(target.type()).create(plugins.targetContext(), target.name(),
          plugins.targetConfig(target, "targets." + target.name() + ".config")));
    }
  }

  private Future<String> deployConsumer() {
    ConsumerVerticle verticle = new ConsumerVerticle(config, backend, targets, metrics);
    return vertx.deployVerticle(verticle).onSuccess(id -> consumerVerticle = verticle);
  }

  /** Why deliveries are paused (a target type is not installed), or null while delivering. */
  String deliveriesPaused() {
    return deliveriesPaused;
  }

  /** Whether one of the namespace's targets is of one of these types. */
  boolean usesAny(java.util.Set<String> targetTypes) {
    return config.targets().stream().anyMatch(t -> targetTypes.contains(t.type()));
  }

  /**
   * Drains the consumer, closes the targets and starts again with targets from the factories
   * registered now (after a plugin upgrade or removal); the producer keeps taking writes throughout.
   * When a target type is no longer installed, deliveries stay paused and entries wait.
   */
  Future<Void> restartDeliveries() {
    if (!consumer) {
      return Future.succeededFuture();
    }
    consumerVerticle = null;
    Future<Void> stopped = consumerId == null ? Future.succeededFuture() : vertx.undeploy(consumerId);
    // a target that fails to close must not keep the namespace from delivering with the new ones
    return stopped.transform(ignored -> {
      consumerId = null;
      return closeTargets();
    }).transform(ignored -> {
      try {
        createTargets();
      } catch (RuntimeException e) {
        deliveriesPaused = "deliveries paused: " + e.getMessage();
        return closeTargets();
      }
      deliveriesPaused = null;
      return deployConsumer().<Void>map(id -> {
        consumerId = id;
        return null;
      }).recover(e -> {
        deliveriesPaused = "deliveries paused: the consumer failed to start: " + e.getMessage();
        return Future.succeededFuture();
      });
    });
  }

  /** Closes every target; one that fails to close is logged, and the others still close. */
  private Future<Void> closeTargets() {
    List<Future<Void>> closes = new ArrayList<>();
    targets.forEach((name, t) -> {
      Future<Void> closed;
      try {
        closed = t.close();
      } catch (RuntimeException e) {
        closed = Future.failedFuture(e);
      }
      closes.add(closed.recover(e -> {
        log.warn("Namespace {}: target {} failed to close: {}",
            config.name(), name, e.getMessage());
        return Future.succeededFuture();
      }));
    });
    targets.clear();
    return Future.join(closes).mapEmpty();
  }

  Backend backend() {
    return backend;
  }

  /** Stops taking writes: unregisters the producer's address and waits for the appends it accepted. */
  Future<Void> stopWrites() {
    String id = producerId;
    if (id == null) {
      return Future.succeededFuture();
    }
    producerId = null;
    return vertx.undeploy(id);
  }

  /**
   * Set once an update found this namespace empty and is moving it to another store: its writes stay stopped until
   * the update restarts it there ({@link #resumeWrites} does nothing), so that none lands in the old place.
   */
  volatile boolean moving;

  /** Takes writes again after {@link #stopWrites()} (when this node plays the producer), unless it is {@link #moving}. */
  Future<Void> resumeWrites() {
    if (!producer || producerId != null || moving) {
      return Future.succeededFuture();
    }
    return vertx.deployVerticle(new ProducerVerticle(config, backend, metrics, producers)).<Void>map(id -> {
      producerId = id;
      return null;
    });
  }

  /** The backend's counts; empty when it cannot count ({@link CountingBackend}). */
  Optional<BackendStats> stats() {
    return backend == null ? Optional.of(BackendStats.NONE)
        : backend instanceof CountingBackend counting ? Optional.of(counting.stats()) : Optional.empty();
  }

  /** The counts as of now, every answered append in them ({@link CountingBackend#countNow}); a backend that cannot count: none. */
  Future<Optional<BackendStats>> countNow() {
    return backend == null ? Future.succeededFuture(Optional.of(BackendStats.NONE))
        : backend instanceof CountingBackend counting ? counting.countNow().map(Optional::of)
        : Future.succeededFuture(Optional.empty());
  }

  /** Stops taking writes, drains in-flight appends and deliveries, closes targets and the backend. */
  Future<Void> stop() {
    return stop(false);
  }

  /**
   * Stops as {@link #stop()} does, then deletes every stored entry and dead letter of the namespace: the backend is
   * destroyed instead of closed ({@link Backend#destroy} stops it and deletes; a closed backend, its clients shut,
   * could delete nothing).
   */
  Future<Void> destroy() {
    return stop(true);
  }

  private Future<Void> stop(boolean destroy) {
    consumerVerticle = null;
    Future<Void> producerStopped = producerId == null ? Future.succeededFuture() : vertx.undeploy(producerId);
    return producerStopped.transform(ignored -> consumerId == null ? Future.succeededFuture() : vertx.undeploy(consumerId))
        .transform(ignored -> closeTargets())
        .transform(ignored -> {
          metrics.removeNamespace(config.name());
          return backend == null ? Future.succeededFuture() : destroy ? backend.destroy() : backend.close();
        });
  }
}
