package io.walmesh.spi;

import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.Objects;

/**
 * What the node hands a plugin factory: the node's Vert.x instance, a data directory the plugin may
 * own, and the node's id.
 *
 * @param vertx the node's Vert.x instance; plugins must never block its event loops
 * @param dataDir a directory reserved for this plugin type, created by the node
 * @param nodeId the id of the node the plugin runs on
 */
public record PluginContext(Vertx vertx, Path dataDir, String nodeId) {
  public PluginContext {
    Objects.requireNonNull(vertx, "vertx");
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(nodeId, "nodeId");
  }
}
