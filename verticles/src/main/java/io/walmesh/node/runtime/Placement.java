package io.walmesh.node.runtime;

import io.walmesh.node.cluster.ClusterState;
import io.walmesh.node.namespace.NamespaceConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where a namespace runs, as the cluster state and this node's runtimes say: which node to forward
 * a call about it to, and why none takes its writes. The same answers on a standalone node (a mesh
 * of one, which runs everything) as on a mesh node.
 */
final class Placement {
  private final ClusterState cluster;
  private final Reconciler runtimes;

  Placement(ClusterState cluster, Reconciler runtimes) {
    this.cluster = cluster;
    this.runtimes = runtimes;
  }

  /**
   * A live node that runs the namespace: its consumer first (which holds its DLQ), then its
   * producer; a pinned namespace's home node. Empty when no live node does.
   */
  Optional<String> runner(NamespaceConfig config) {
    List<String> live = cluster.liveNodes();
    if (runtimes.pinnedToNode(config)) {
      return cluster.isHome(config.homeNode()) ? Optional.of(cluster.nodeId())
          : live.contains(config.homeNode()) ? Optional.of(config.homeNode()) : Optional.empty();
    }
    List<String> owners = new ArrayList<>(cluster.consumersOf(config.shard()));
    owners.addAll(cluster.producersOf(config.shard()));
    return owners.stream().filter(live::contains).findFirst();
  }

  /**
   * The live node that takes the namespace's writes (its producer owner; a pinned namespace's home node): the one node
   * that can stop them before its entries are counted for a delete. Empty when no live node does.
   */
  Optional<String> writer(NamespaceConfig config) {
    if (runtimes.pinnedToNode(config)) {
      return runner(config);
    }
    List<String> live = cluster.liveNodes();
    return cluster.producersOf(config.shard()).stream().filter(live::contains).findFirst();
  }

  /** The other live nodes that deliver the namespace (its consumer owners); none for a pinned namespace. */
  List<String> otherDeliverers(NamespaceConfig config) {
    if (runtimes.pinnedToNode(config)) {
      return List.of();
    }
    List<String> live = cluster.liveNodes();
    return cluster.consumersOf(config.shard()).stream().filter(live::contains)
        .filter(node -> !node.equals(cluster.nodeId())).toList();
  }

  /** Why no node takes writes for the namespace, for the gateway's UNAVAILABLE answer. */
  String whyUnavailable(NamespaceConfig config) {
    String failure = runtimes.failure(config.name());
    if (failure != null && runtimes.desired(config)[0]) {
      return "it failed to start on node " + cluster.nodeId() + ": " + failure + "; it is tried again every "
          + Reconciler.RETRY_AFTER_FAILURE_MS / 1000 + " s";
    }
    if (runtimes.pinnedToNode(config)) {
      return cluster.isHome(config.homeNode()) || cluster.liveNodes().contains(config.homeNode())
          ? "its home node " + config.homeNode() + " has not started it (" + Optional.ofNullable(failure).orElse("starting")
          + ")" : "it is on the local backend of node " + config.homeNode() + ", which is not in the mesh; start that node again";
    }
    List<String> producers = cluster.producersOf(config.shard());
    return producers.isEmpty() ? "no node may run shard " + config.shard() + " as a producer (check the nodes'"
        + " cluster.shards and cluster.roles)" : "shard " + config.shard() + " is owned by " + producers
        + ", which is starting it or moving it";
  }
}
