package io.walmesh.target.kafka;

import io.vertx.core.json.JsonObject;
import io.walmesh.spi.config.ConfigException;
import io.walmesh.spi.config.ConfigReader;
import io.vertx.core.json.JsonArray;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The config of a {@code kafka} target.
 * <ul>
 *   <li>{@code bootstrap-servers} (required): the brokers of the destination cluster.</li>
 *   <li>{@code topic}: the destination topic; an entry's target attribute {@code topic} overrides it.
 *       One of the two is needed for every entry.</li>
 *   <li>{@code delivery-timeout-ms}: how long one produce may take before the attempt fails and is
 *       retried with the namespace's backoff, default 10000.</li>
 *   <li>{@code walmesh-headers}: add {@code walmesh-entry-id}, {@code walmesh-namespace},
 *       {@code walmesh-write-time} and {@code walmesh-attempt} headers, default true (consumers dedupe
 *       redeliveries by the entry id).</li>
 *   <li>{@code kafka}: extra producer properties (e.g. {@code security.protocol}, {@code compression.type}).</li>
 *   <li>{@code allowed-topics}: the topics a delivery may go to (exact names, or a prefix ending in
 *       {@code *}, e.g. {@code "orders-*"}); default: any. The configured {@code topic} must be in it;
 *       an entry whose {@code topic} attribute is not goes to the DLQ.</li>
 * </ul>
 * Per entry, the target attributes {@code topic} and {@code key} override the topic and the record
 * key (default: the entry's key); the entry's headers become record headers, except those whose name
 * starts with {@code walmesh-} (any case), which only walmesh sets.
 */
final class KafkaTargetOptions {
  static final Set<String> FIELDS = Set.of("bootstrap-servers", "topic", "delivery-timeout-ms", "walmesh-headers", "kafka",
      "allowed-topics");
  private static final Set<String> RESERVED = Set.of("acks", "enable.idempotence", "key.serializer", "value.serializer",
      "bootstrap.servers");

  final String bootstrapServers;
  final String topic;
  final int deliveryTimeoutMs;
  final boolean walmeshHeaders;
  final Map<String, Object> kafka = new HashMap<>();
  /** The allowed topic names and prefixes (ending in *) as written; null when any topic is allowed. */
  final List<String> allowedTopics;

  KafkaTargetOptions(JsonObject json, String path) {
    ConfigReader reader = new ConfigReader(json, path);
    reader.rejectUnknown(FIELDS);
    bootstrapServers = reader.requireString("bootstrap-servers");
    topic = reader.optString("topic", null);
    deliveryTimeoutMs = reader.optInt("delivery-timeout-ms", 10_000, 1_000, 600_000);
    walmeshHeaders = reader.optBoolean("walmesh-headers", true);
    ConfigReader extra = reader.object("kafka");
    for (String name : extra.json().fieldNames()) {
      if (RESERVED.contains(name)) {
        throw new ConfigException(extra.field(name), "walmesh sets this Kafka property itself; remove it");
      }
      kafka.put(name, String.valueOf(extra.json().getValue(name)));
    }
    if (reader.has("allowed-topics")) {
      JsonArray array = reader.array("allowed-topics");
      if (array.isEmpty()) {
        throw new ConfigException(reader.field("allowed-topics"), "must name at least one topic; leave it out to allow any");
      }
      List<String> topics = new ArrayList<>();
      for (int i = 0; i < array.size(); i++) {
        if (!(array.getValue(i) instanceof String t) || !t.matches("[A-Za-z0-9._-]{1,249}\\*?|\\*")) {
          throw new ConfigException(reader.field("allowed-topics") + "[" + i + "]",
              "must be a topic name ([A-Za-z0-9._-], at most 249 characters), optionally ending in * for a prefix");
        }
        topics.add(t);
      }
      allowedTopics = List.copyOf(topics);
      if (topic != null && !topicAllowed(topic)) {
        throw new ConfigException(reader.field("topic"), "is not in allowed-topics " + allowedTopics);
      }
    } else {
      allowedTopics = null;
    }
  }

  /** Whether a delivery may produce to {@code name}. */
  boolean topicAllowed(String name) {
    return allowedTopics == null || allowedTopics.stream().anyMatch(t -> t.endsWith("*")
        ? name.startsWith(t.substring(0, t.length() - 1)) : name.equals(t));
  }
}
