package io.walmesh.node.plugin;

import io.vertx.core.Future;
import java.util.List;
import java.util.Set;

/** What the plugin manager needs to know and do about the namespaces that use a plugin's types. */
public interface PluginUsers {

  /** The namespaces (on any node) with a target of one of these types, sorted. */
  List<String> namespacesUsing(Set<String> targetTypes);

  /**
   * Restarts the deliveries of the namespaces running here with a target of one of these types:
   * in-flight deliveries drain, their targets close, and new targets are created from the factories
   * now registered. A namespace whose type is gone keeps taking writes; its entries wait.
   */
  Future<Void> restartDeliveries(Set<String> targetTypes);
}
