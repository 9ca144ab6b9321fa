package io.walmesh.backend.kafka;

import io.vertx.core.json.JsonArray;
import io.walmesh.spi.config.ConfigException;
import io.walmesh.spi.config.ConfigReader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code backend.config} of a {@code kafka} namespace.
 * <ul>
 *   <li>{@code bootstrap-servers} (required): the brokers, {@code host:port,...}.</li>
 *   <li>{@code wal-kafka-topic} (required): the namespace's topic; created when missing.</li>
 *   <li>{@code wal-kafka-dlq-topic}: the DLQ topic, default {@code <wal-kafka-topic>-dlq}.</li>
 *   <li>{@code delay-tiers-secs}: the delay tiers, ascending, default {@code [10, 60, 600, 3600]}; a
 *       tier {@code t} is the topic {@code <wal-kafka-topic>-delay-<t>s}. Waits shorter than the first
 *       tier stay in the consumer's memory.</li>
 *   <li>{@code partitions}: partitions of the topics walmesh creates, default 8.</li>
 *   <li>{@code replication-factor}: of the topics walmesh creates, default the broker's
 *       {@code default.replication.factor}.</li>
 *   <li>{@code consumer-group}: default {@code walmesh.<namespace>}; every node consuming the
 *       namespace joins it and Kafka spreads the partitions over them.</li>
 *   <li>{@code delivery-timeout-ms}: how long an append may wait for {@code acks=all} before it
 *       answers UNKNOWN, default 8000 (under the gateway's 10 s default deadline).</li>
 *   <li>{@code session-timeout-ms}: how soon the partitions of a consumer that died move to another,
 *       default 10000.</li>
 *   <li>{@code window.max-entries}: entries a consumer holds fetched but not settled (leased, waiting
 *       for a short delay or retry, or held behind their key) before it pauses fetching, default 10000.</li>
 *   <li>{@code revoke-drain-ms}: how long a consumer losing partitions in a rebalance waits for their
 *       in-flight deliveries before it commits, default 5000.</li>
 *   <li>{@code kafka}: extra Kafka client properties for producer, consumer and admin client
 *       (e.g. {@code security.protocol}, {@code sasl.jaas.config}), strings.</li>
 * </ul>
 */
final class KafkaBackendOptions {
  static final Set<String> FIELDS = Set.of("bootstrap-servers", "wal-kafka-topic", "wal-kafka-dlq-topic",
      "delay-tiers-secs", "partitions", "replication-factor", "consumer-group", "delivery-timeout-ms",
      "session-timeout-ms", "window.max-entries", "revoke-drain-ms", "kafka");
  /** Client properties walmesh sets itself: overriding them would break a guarantee. */
  static final Set<String> RESERVED = Set.of("acks", "enable.idempotence", "enable.auto.commit", "group.id",
      "key.serializer", "value.serializer", "key.deserializer", "value.deserializer", "bootstrap.servers");

  final String bootstrapServers;
  final String topic;
  final String dlqTopic;
  final List<Integer> delayTiersSecs;
  final int partitions;
  final short replicationFactor;
  final String consumerGroup;
  final int deliveryTimeoutMs;
  final int sessionTimeoutMs;
  final int windowMaxEntries;
  final int revokeDrainMs;
  final Map<String, Object> kafka = new HashMap<>();

  KafkaBackendOptions(ConfigReader reader, String namespace) {
    reader.rejectUnknown(FIELDS);
    bootstrapServers = reader.requireString("bootstrap-servers");
    topic = reader.requireString("wal-kafka-topic");
    checkTopicName(reader, "wal-kafka-topic", topic);
    dlqTopic = reader.optString("wal-kafka-dlq-topic", topic + "-dlq");
    checkTopicName(reader, "wal-kafka-dlq-topic", dlqTopic);
    delayTiersSecs = tiers(reader);
    partitions = reader.optInt("partitions", 8, 1, 10_000);
    replicationFactor = (short) reader.optInt("replication-factor", -1, -1, 32);
    if (replicationFactor == 0) {
      throw new ConfigException(reader.field("replication-factor"), "must be at least 1 (or -1 for the broker default)");
    }
    consumerGroup = reader.optString("consumer-group", "walmesh." + namespace);
    deliveryTimeoutMs = reader.optInt("delivery-timeout-ms", 8_000, 1_000, 600_000);
    sessionTimeoutMs = reader.optInt("session-timeout-ms", 10_000, 3_000, 300_000);
    windowMaxEntries = reader.optInt("window.max-entries", 10_000, 10, 10_000_000);
    revokeDrainMs = reader.optInt("revoke-drain-ms", 5_000, 0, 60_000);
    ConfigReader extra = reader.object("kafka");
    for (String name : extra.json().fieldNames()) {
      Object value = extra.json().getValue(name);
      if (RESERVED.contains(name)) {
        throw new ConfigException(extra.field(name), "walmesh sets this Kafka property itself (it carries a guarantee);"
            + " remove it");
      }
      if (!(value instanceof String) && !(value instanceof Number) && !(value instanceof Boolean)) {
        throw new ConfigException(extra.field(name), "must be a string, number or boolean Kafka client property");
      }
      kafka.put(name, String.valueOf(value));
    }
  }

  /** The tier topic of a tier. */
  String tierTopic(int tierSecs) {
    return topic + "-delay-" + tierSecs + "s";
  }

  private static List<Integer> tiers(ConfigReader reader) {
    if (!reader.has("delay-tiers-secs")) {
      return List.of(10, 60, 600, 3600);
    }
    JsonArray array = reader.array("delay-tiers-secs");
    List<Integer> tiers = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      Object value = array.getValue(i);
      String field = reader.field("delay-tiers-secs") + "[" + i + "]";
      if (!(value instanceof Number n) || n.intValue() < 1 || n.doubleValue() != n.intValue()) {
        throw new ConfigException(field, "must be a whole number of seconds, at least 1, got " + value);
      }
      if (!tiers.isEmpty() && n.intValue() <= tiers.get(tiers.size() - 1)) {
        throw new ConfigException(field, "tiers must be ascending, got " + n.intValue() + " after " + tiers.get(tiers.size() - 1));
      }
      tiers.add(n.intValue());
    }
    if (tiers.isEmpty() || tiers.size() > 16) {
      throw new ConfigException(reader.field("delay-tiers-secs"), "must list 1 to 16 tiers");
    }
    return List.copyOf(tiers);
  }

  private static void checkTopicName(ConfigReader reader, String field, String name) {
    if (!name.matches("[a-zA-Z0-9._-]{1,200}")) {
      throw new ConfigException(reader.field(field), "not a valid Kafka topic name (letters, digits, '.', '_', '-',"
          + " at most 200): \"" + name + "\"");
    }
  }
}
