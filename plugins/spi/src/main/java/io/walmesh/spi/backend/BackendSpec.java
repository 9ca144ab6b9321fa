package io.walmesh.spi.backend;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Objects;

/**
 * What a backend needs to know about its namespace.
 *
 * @param namespace the namespace name
 * @param config the backend's own section of the namespace config ({@code backend.config})
 * @param configPath the path of {@code config} in the namespace document, for error messages
 * @param orderedByKey whether entries with the same key must be delivered in write order
 * @param dedupeWindow how long an idempotency key is remembered; zero disables dedupe
 */
public record BackendSpec(String namespace, JsonObject config, String configPath, boolean orderedByKey,
                          Duration dedupeWindow) {
  public BackendSpec {
    Objects.requireNonNull(namespace, "namespace");
    config = config == null ? new JsonObject() : config;
    configPath = configPath == null ? "backend.config" : configPath;
    dedupeWindow = dedupeWindow == null ? Duration.ZERO : dedupeWindow;
  }
}
