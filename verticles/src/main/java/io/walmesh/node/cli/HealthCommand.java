package io.walmesh.node.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code walmesh health}: the node's health and its namespaces' states. */
@Command(name = "health", mixinStandardHelpOptions = true, description = "Shows the node's health and namespace states.")
final class HealthCommand implements Callable<Integer> {
  @Mixin
  AdminClient admin;

  @Override
  public Integer call() {
    return admin.call("GET", "/v1/health", null);
  }
}
