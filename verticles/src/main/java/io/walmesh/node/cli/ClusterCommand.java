package io.walmesh.node.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code walmesh cluster}: the mesh as one node sees it. */
@Command(name = "cluster", mixinStandardHelpOptions = true,
    description = {"Shows the mesh: its nodes (alive, leader, roles, addresses), each shard with the nodes running its",
        "producers and consumers, namespaces pinned to a node's local log, and the assignment generation.",
        "A standalone node answers \"mode\": \"standalone\"."})
final class ClusterCommand implements Callable<Integer> {
  @Mixin
  AdminClient admin;

  @Override
  public Integer call() {
    return admin.call("GET", "/v1/cluster", null);
  }
}
