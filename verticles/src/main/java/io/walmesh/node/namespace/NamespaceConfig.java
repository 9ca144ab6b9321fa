package io.walmesh.node.namespace;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.config.ConfigException;
import io.walmesh.spi.config.ConfigReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A namespace's configuration, parsed and validated from its JSON document (see
 * {@code docs/namespaces.md}). Parsing checks the core fields; the backend and target plugins check
 * their own {@code config} sections. Every error names the bad field.
 */
public record NamespaceConfig(
    String name,
    String shard,
    String backendType,
    JsonObject backendConfig,
    List<TargetConfig> targets,
    RetryPolicy retry,
    boolean orderedByKey,
    Duration dedupeWindow,
    int maxPayloadBytes,
    int maxInFlightWrites,
    int consumerMaxInFlight,
    int maxMessagesPerPoll,
    long pollIntervalMs,
    String homeNode) {
  /** The backend type of a document that names none: the embedded log every node ships with. */
  public static final String DEFAULT_BACKEND_TYPE = "local";

  public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
  public static final String DEFAULT_SHARD = "default";
  public static final long DEFAULT_DEDUPE_WINDOW_MS = 86_400_000L;
  public static final int DEFAULT_MAX_PAYLOAD_BYTES = 1 << 20;
  /** The largest payload any namespace may allow; the gRPC gateway's message limit is above it. */
  public static final int MAX_PAYLOAD_BYTES_LIMIT = 16 << 20;
  public static final int DEFAULT_MAX_IN_FLIGHT_WRITES = 1024;
  public static final int DEFAULT_CONSUMER_MAX_IN_FLIGHT = 64;
  public static final int DEFAULT_MAX_MESSAGES_PER_POLL = 64;
  public static final long DEFAULT_POLL_INTERVAL_MS = 100;

  private static final Set<String> FIELDS = Set.of("name", "shard", "backend", "targets", "retry", "ordering",
      "dedupe-window-ms", "max-payload-bytes", "max-in-flight-writes", "consumer", "home-node");
  private static final Set<String> BACKEND_FIELDS = Set.of("type", "config");
  private static final Set<String> TARGET_FIELDS = Set.of("name", "type", "default", "config");
  private static final Set<String> CONSUMER_FIELDS = Set.of("max-in-flight", "max-messages-per-poll", "poll-interval-ms");

  /** Per-key ordering: {@code none} or {@code per-key}. */
  public enum Ordering { NONE, PER_KEY }

  /** Parses JSON text; a syntax error is reported as a {@link ConfigException} on the document. */
  public static NamespaceConfig parse(String json) {
    JsonObject object;
    try {
      object = new JsonObject(json);
    } catch (DecodeException e) {
      throw new ConfigException("(document)", "not valid JSON: " + e.getMessage());
    }
    return fromJson(object);
  }

  /** Validates the core fields of a namespace document. */
  public static NamespaceConfig fromJson(JsonObject json) {
    ConfigReader root = new ConfigReader(json, "");
    root.rejectUnknown(FIELDS);
    String name = root.requireString("name");
    if (!NAME.matcher(name).matches()) {
      throw new ConfigException("name", "must match " + NAME.pattern() + " (lowercase letters, digits, '.', '_', '-'; at most 63), got \"" + name + "\"");
    }
    String shard = root.optString("shard", DEFAULT_SHARD);
    if (!NAME.matcher(shard).matches()) {
      throw new ConfigException("shard", "must match " + NAME.pattern() + ", got \"" + shard + "\"");
    }
    ConfigReader backend = root.object("backend");
    backend.rejectUnknown(BACKEND_FIELDS);
    String backendType = backend.optString("type", DEFAULT_BACKEND_TYPE);
    JsonObject backendConfig = backend.object("config").json().copy();

    List<TargetConfig> targets = new ArrayList<>();
    Set<String> targetNames = new HashSet<>();
    for (ConfigReader target : root.objects("targets")) {
      target.rejectUnknown(TARGET_FIELDS);
      String targetName = target.requireString("name");
      if (!NAME.matcher(targetName).matches()) {
        throw new ConfigException(target.field("name"), "must match " + NAME.pattern() + ", got \"" + targetName + "\"");
      }
      if (!targetNames.add(targetName)) {
        throw new ConfigException(target.field("name"), "duplicate target name \"" + targetName + "\"");
      }
      targets.add(new TargetConfig(targetName, target.requireString("type"), target.optBoolean("default", false),
          target.object("config").json().copy()));
    }
    if (targets.isEmpty()) {
      throw new ConfigException("targets", "at least one target is required, e.g. [{\"name\": \"web\", \"type\": \"http\", \"config\": {\"url\": \"http://127.0.0.1:8081/apply\"}}]");
    }
    ConfigReader consumer = root.object("consumer");
    consumer.rejectUnknown(CONSUMER_FIELDS);
    return new NamespaceConfig(
        name,
        shard,
        backendType,
        backendConfig,
        List.copyOf(targets),
        RetryPolicy.read(root.object("retry")),
        root.optEnum("ordering", Ordering.class, Ordering.NONE) == Ordering.PER_KEY,
        Duration.ofMillis(root.optLong("dedupe-window-ms", DEFAULT_DEDUPE_WINDOW_MS, 0, 86_400_000L * 365)),
        root.optInt("max-payload-bytes", DEFAULT_MAX_PAYLOAD_BYTES, 1, MAX_PAYLOAD_BYTES_LIMIT),
        root.optInt("max-in-flight-writes", DEFAULT_MAX_IN_FLIGHT_WRITES, 1, 1_000_000),
        consumer.optInt("max-in-flight", DEFAULT_CONSUMER_MAX_IN_FLIGHT, 1, 100_000),
        consumer.optInt("max-messages-per-poll", DEFAULT_MAX_MESSAGES_PER_POLL, 1, 10_000),
        consumer.optLong("poll-interval-ms", DEFAULT_POLL_INTERVAL_MS, 10, 3_600_000),
        root.optString("home-node", ""));
  }

  /** The same namespace with its home node (the node whose local log holds it) set. */
  public NamespaceConfig withHomeNode(String node) {
    return new NamespaceConfig(name, shard, backendType, backendConfig, targets, retry, orderedByKey, dedupeWindow,
        maxPayloadBytes, maxInFlightWrites, consumerMaxInFlight, maxMessagesPerPoll, pollIntervalMs, node);
  }

  /** The targets an entry goes to: the named one, or the defaults (all targets when none is marked). */
  public List<TargetConfig> targetsFor(String requested) {
    if (!requested.isEmpty()) {
      return target(requested).map(List::of).orElse(List.of());
    }
    // asked for every delivered entry: no stream unless some target is a default
    for (TargetConfig target : targets) {
      if (target.isDefault()) {
        return targets.stream().filter(TargetConfig::isDefault).toList();
      }
    }
    return targets;
  }

  public Optional<TargetConfig> target(String targetName) {
    return targets.stream().filter(t -> t.name().equals(targetName)).findFirst();
  }

  /** The canonical document, with every default filled in. */
  public JsonObject toJson() {
    JsonArray targetArray = new JsonArray();
    targets.forEach(t -> targetArray.add(t.toJson()));
    JsonObject json = new JsonObject()
        .put("name", name)
        .put("shard", shard)
        .put("backend", new JsonObject().put("type", backendType).put("config", backendConfig.copy()))
        .put("targets", targetArray)
        .put("retry", retry.toJson())
        .put("ordering", orderedByKey ? "per-key" : "none")
        .put("dedupe-window-ms", dedupeWindow.toMillis())
        .put("max-payload-bytes", maxPayloadBytes)
        .put("max-in-flight-writes", maxInFlightWrites)
        .put("consumer", new JsonObject().put("max-in-flight", consumerMaxInFlight)
            .put("max-messages-per-poll", maxMessagesPerPoll).put("poll-interval-ms", pollIntervalMs));
    if (!homeNode.isEmpty()) {
      json.put("home-node", homeNode);
    }
    return json;
  }

  /**
   * A short digest of the canonical document: a node reports the version it runs with its state,
   * so that whoever changed the document can wait for that change to be applied.
   */
  public String version() {
    return digest(toJson().encode());
  }

  /** The short digest {@link #version} gives, of any text (a document that does not parse has a version too). */
  public static String digest(String text) {
    try {
      byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(digest, 0, 8);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
