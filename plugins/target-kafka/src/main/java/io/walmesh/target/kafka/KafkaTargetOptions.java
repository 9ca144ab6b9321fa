package io.walmesh.target.kafka;

import io.vertx.core.json.JsonObject;
import io.walmesh.spi.config.ConfigException;
import io.walmesh.spi.config.ConfigReader;
import java.util.HashMap;
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
 * </ul>
 * Per entry, the target attributes {@code topic} and {@code key} override the topic and the record
 * key (default: the entry's key); the entry's headers become record headers.
 */
final class KafkaTargetOptions {
  static final Set<String> FIELDS = Set.of("bootstrap-servers", "topic", "delivery-timeout-ms", "walmesh-headers", "kafka");
  private static final Set<String> RESERVED = Set.of("acks", "enable.idempotence", "key.serializer", "value.serializer",
      "bootstrap.servers");

  final String bootstrapServers;
  final String topic;
  final int deliveryTimeoutMs;
  final boolean walmeshHeaders;
  final Map<String, Object> kafka = new HashMap<>();

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
  }
}
