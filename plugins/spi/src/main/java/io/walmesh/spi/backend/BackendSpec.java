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
 * @param consumes whether this node consumes the namespace; a producer-only node (a mesh role)
 *     opens the backend to append, and a backend MUST NOT take consumer resources (e.g. partitions
 *     of a consumer group) it would never poll
 */
public record BackendSpec(String namespace, JsonObject config, String configPath, boolean orderedByKey,
                          Duration dedupeWindow, boolean consumes) {

  public BackendSpec(String namespace, JsonObject config, String configPath, boolean orderedByKey, Duration dedupeWindow) {
    this(namespace, config, configPath, orderedByKey, dedupeWindow, true);
  }

  /** A compact constructor: fills the defaults. */
  public BackendSpec {
    Objects.requireNonNull(namespace, "namespace");
    config = config == null ? new JsonObject() : config;
    configPath = configPath == null ? "backend.config" : configPath;
    dedupeWindow = dedupeWindow == null ? Duration.ZERO : dedupeWindow;
  }
}
