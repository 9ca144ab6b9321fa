package io.walmesh.node.runtime;

import io.vertx.core.Future;
import io.walmesh.node.namespace.NamespaceConfig;
import io.walmesh.node.plugin.PluginRegistry;
import io.walmesh.spi.backend.BackendStats;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a delete without force, and an update that moves a namespace's entries to another store, check first: that
 * the namespace holds no entries, counted afresh (not from the counts a backend reads every few seconds) on the node
 * that takes its writes, with those writes stopped, so that no write is acknowledged between the count and the change
 * and then dropped with the old store. A namespace that holds entries, or whose entries cannot be counted, gets its
 * writes back and the change is refused (CONFLICT) with the counts or why.
 */
final class EmptyBeforeChange {
  private static final Logger log = LoggerFactory.getLogger(EmptyBeforeChange.class);
  private final PluginRegistry plugins;
  private final Reconciler runtimes;
  private final Placement placement;
  private final String nodeId;

  /** The counts of the other nodes that deliver a namespace this node takes the writes of. */
  private final DeliveringNodeCounts deliverers;

  EmptyBeforeChange(PluginRegistry plugins, Reconciler runtimes, Placement placement, String nodeId,
                    DeliveringNodeCounts deliverers) {
    this.plugins = plugins;
    this.runtimes = runtimes;
    this.placement = placement;
    this.nodeId = nodeId;
    this.deliverers = deliverers;
  }

  /**
   * Before a delete without force: stops the namespace's writes and counts its entries afresh, as
   * {@link #stopWritesWhenEmpty} does; refused (CONFLICT) on a node that does not take its writes, or on a backend that
   * cannot count. Succeeds with its writes left stopped.
   */
  Future<Void> beforeDelete(NamespaceRuntime runtime, NamespaceConfig config) {
    String name = config.name();
    // Stop taking writes first (in-flight appends finish and are answered), then count afresh: a write
    // acknowledged after the count, or after the backend's last periodic read of its counts, would otherwise be
    // destroyed with the namespace. Only the node that takes them can stop them (the admin API forwards a delete
    // there; one reaches a node that only delivers while the shard's owners change).
    requireCountableHere(runtime, config, "namespace " + name + ":", "Retry (a delete is forwarded to that node)",
        "delete it with force=true");
    return stopWritesWhenEmpty(runtime, stats -> "namespace " + name + " still holds " + held(stats) + "; deleting it"
            + " would drop them. Wait for delivery, purge the DLQ, or delete with force=true",
        e -> "namespace " + name + ": its stored entries could not be counted (" + e.getMessage() + "), so deleting it"
            + " could drop undelivered ones; retry, or delete with force=true");
  }

  /** Whether the update keeps the entries where they are; a stored document that no longer resolves counts as a move. */
  boolean sameStore(NamespaceConfig stored, NamespaceConfig config) {
    if (!stored.homeNode().equals(config.homeNode()) && plugins.nodeLocal(config.backendType())) {
      return false; // a local namespace's entries are on its home node's disk
    }
    try {
      return plugins.sameStore(stored, config);
    } catch (RuntimeException e) {
      log.info("Namespace {}: its stored backend section does not resolve any more ({}); the update counts as a move",
          stored.name(), e.getMessage());
      return false;
    }
  }

  /**
   * Before an update moves a namespace's entries to another place: stops its writes and counts afresh, as a delete
   * does; a namespace that holds entries gets its writes back and the update is refused. One that holds none is marked
   * moving and stays without writes until the update restarts it on the new place, so that no write lands in the old
   * one meanwhile. Answers the runtime so marked.
   */
  Future<NamespaceRuntime> beforeMoving(NamespaceConfig stored, NamespaceConfig config) {
    String name = config.name();
    NamespaceRuntime runtime = runtimes.runtime(name);
    String move = "namespace " + name + ": the new backend section (" + config.backendType() + ") stores entries"
        + " somewhere else than the current one (" + changes(stored, config) + "), so the entries stored now would"
        + " never be delivered";
    String writer = placement.writer(config).map(node -> "node " + node).orElse("the node that takes its writes");
    if (runtime == null) {
      String failure = runtimes.failure(name);
      throw new NamespaceException(NamespaceException.Kind.CONFLICT, move + ", and " + (failure != null
          ? "it is not running (" + failure + "), so they cannot be counted; if it never ran with its current document"
          + " (an update that failed to start), update it with force=true"
          : "it is not running on this node (" + nodeId + "), so they cannot be counted; update it through " + writer
          + ", or with force=true"));
    }
    requireCountableHere(runtime, config, move + ", and", "Update it through " + writer, "update it with force=true");
    return stopWritesWhenEmpty(runtime, stats -> move + "; it still holds " + held(stats) + ". Wait for delivery and"
            + " purge the DLQ first, or update with force=true (they are then left behind)",
        e -> move + ", and they could not be counted (" + e.getMessage() + "); retry, or update with force=true (they are"
            + " then left behind)")
        .map(v -> {
          runtime.moving = true;
          return runtime;
        });
  }

  /**
   * Refuses (CONFLICT) a delete or a move that this node cannot check: it does not take the namespace's writes (only
   * the node that does can stop them and count), or the namespace's backend cannot count its entries. The message
   * starts with {@code opening}, says where else to send the change ({@code elsewhere}) and how to go ahead anyway
   * ({@code force}).
   */
  private void requireCountableHere(NamespaceRuntime runtime, NamespaceConfig config, String opening, String elsewhere,
                                    String force) {
    if (!runtime.producer) {
      String writer = placement.writer(config).map(node -> "node " + node + " takes its writes")
          .orElse("no node takes its writes right now (" + placement.whyUnavailable(config) + ")");
      throw new NamespaceException(NamespaceException.Kind.CONFLICT, opening + " this node (" + nodeId + ") only delivers"
          + " it and " + writer + "; only the node that takes its writes can stop them to count its entries. " + elsewhere
          + ", or " + force);
    }
    if (runtime.stats().isEmpty()) {
      throw new NamespaceException(NamespaceException.Kind.CONFLICT, opening + " its " + runtime.config.backendType()
          + " backend cannot count its entries, so undelivered ones could be dropped; " + force + " once they are"
          + " delivered");
    }
  }

  /**
   * Stops a namespace's writes (those in flight are answered) and counts its entries afresh, not from the counts a
   * backend reads every few seconds, here and on the other nodes that deliver it: succeeds, its writes left stopped,
   * when it holds none; otherwise gives its writes
   * back and refuses (CONFLICT) with {@code holding} of its counts, or {@code uncounted} of why they could not be made.
   */
  private Future<Void> stopWritesWhenEmpty(NamespaceRuntime runtime, Function<BackendStats, String> holding,
                                           Function<Throwable, String> uncounted) {
    return runtime.stopWrites().compose(v -> runtime.countNow()).map(Optional::orElseThrow)
        .compose(stats -> empty(stats) ? countedWhereDelivered(runtime) : Future.succeededFuture(stats))
        .transform(counted -> {
          BackendStats stats = counted.succeeded() ? counted.result() : null;
          if (stats != null && empty(stats)) {
            return Future.<Void>succeededFuture();
          }
          String why = stats != null ? holding.apply(stats) : uncounted.apply(counted.cause());
          return runtime.resumeWrites().transform(ignored -> Future.<Void>failedFuture(
              new NamespaceException(NamespaceException.Kind.CONFLICT, why)));
        });
  }

  private static boolean empty(BackendStats stats) {
    return stats.pending() == 0 && stats.leased() == 0 && stats.deadLetters() == 0;
  }

  /**
   * When other nodes deliver the namespace, their fresh counts too ({@link DeliveringNodeCounts}): the first that is
   * not empty, or {@link BackendStats#NONE}; fails when one of them cannot count.
   */
  private Future<BackendStats> countedWhereDelivered(NamespaceRuntime runtime) {
    if (runtime.consumer) {
      return Future.succeededFuture(BackendStats.NONE);
    }
    Future<BackendStats> counted = Future.succeededFuture(BackendStats.NONE);
    for (String node : placement.otherDeliverers(runtime.config)) {
      counted = counted.compose(stats -> empty(stats) ? deliverers.count(node, runtime.config.name())
          : Future.succeededFuture(stats));
    }
    return counted;
  }

  /**
   * What an update changes about where entries are stored, for a refusal: the backend type, a local namespace's home
   * node, or the names (never the values, which may be secrets) of the backend config's fields that differ.
   */
  static String changes(NamespaceConfig stored, NamespaceConfig config) {
    if (!stored.backendType().equals(config.backendType())) {
      return "backend type " + stored.backendType() + " -> " + config.backendType();
    }
    if (!stored.homeNode().equals(config.homeNode())) {
      return "home-node " + stored.homeNode() + " -> " + config.homeNode();
    }
    java.util.Set<String> fields = new java.util.TreeSet<>(stored.backendConfig().fieldNames());
    fields.addAll(config.backendConfig().fieldNames());
    fields.removeIf(field -> java.util.Objects.equals(stored.backendConfig().getValue(field),
        config.backendConfig().getValue(field)));
    return fields.isEmpty() ? "the backend says so" : "backend.config " + (fields.size() == 1 ? "field " : "fields ")
        + String.join(", ", fields) + " changed";
  }

  private static String held(BackendStats stats) {
    return stats.pending() + " pending, " + stats.leased() + " in delivery and " + stats.deadLetters()
        + " dead-lettered entries";
  }
}
