package io.walmesh.node.namespace;

import io.vertx.core.json.JsonObject;

/**
 * One target of a namespace.
 *
 * @param name unique within the namespace; what {@code WriteToLogRequest.target.name} refers to
 * @param type the target type, e.g. {@code http}
 * @param isDefault whether entries that name no target go here
 * @param config the target type's own options
 */
public record TargetConfig(String name, String type, boolean isDefault, JsonObject config) {
  JsonObject toJson() {
    return new JsonObject().put("name", name).put("type", type).put("default", isDefault).put("config", config.copy());
  }
}
