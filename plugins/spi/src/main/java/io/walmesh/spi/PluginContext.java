package io.walmesh.spi;

import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.Objects;

/**
 * What the node hands a plugin factory: the node's Vert.x instance, a data directory the plugin may
 * own, the node's id and the node's destination policy.
 *
 * @param vertx the node's Vert.x instance; plugins must never block its event loops
 * @param dataDir a directory reserved for this plugin type, created by the node
 * @param nodeId the id of the node the plugin runs on
 * @param destinations the addresses no target may connect to (node config
 *     {@code targets.deny-destinations}); targets that open connections MUST check it
 */
public record PluginContext(Vertx vertx, Path dataDir, String nodeId, DestinationPolicy destinations) {
  public PluginContext {
    Objects.requireNonNull(vertx, "vertx");
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(destinations, "destinations");
  }

  /** A context with the {@linkplain DestinationPolicy#defaults() default} destination policy. */
  public PluginContext(Vertx vertx, Path dataDir, String nodeId) {
    this(vertx, dataDir, nodeId, DestinationPolicy.defaults());
  }
}
