package io.walmesh.target.kafka;

import io.vertx.core.Future;
import io.walmesh.kafka.support.KafkaSender;
import io.walmesh.spi.PluginContext;
import io.walmesh.spi.target.Delivery;
import io.walmesh.spi.target.DeliveryException;
import io.walmesh.spi.target.Target;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * Produces each delivered entry to a Kafka topic with an idempotent {@code acks=all} producer. A
 * retriable Kafka error (broker down, leader moving, timeout) is retried with the namespace's
 * backoff; anything else (record too large, bad topic name, not authorized) goes to the DLQ.
 * Redelivery can produce a record twice: consumers dedupe by the {@code walmesh-entry-id} header.
 */
final class KafkaTarget implements Target {
  private final KafkaTargetOptions options;
  /** How long closing waits for Kafka's answers to the records in flight; unanswered ones are delivered again. */
  static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);
  private final KafkaSender producer;

  KafkaTarget(PluginContext context, String name, KafkaTargetOptions options) {
    this.options = options;
    Map<String, Object> config = new HashMap<>();
    config.put("bootstrap.servers", options.bootstrapServers);
    config.put("client.id", "walmesh-" + context.nodeId() + "-target-" + name);
    config.put(ProducerConfig.LINGER_MS_CONFIG, 1);
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Math.min(5_000, options.deliveryTimeoutMs));
    config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(5_000, options.deliveryTimeoutMs - 10));
    config.putAll(options.kafka);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, options.deliveryTimeoutMs);
    // bursts of records handed to the producer on the delivering event loop, or by one sending thread per target
    // while a send could wait: no worker task per record
    this.producer = new KafkaSender(context.vertx(), config, "target-" + name);
  }

  @Override
  public Future<Void> deliver(Delivery delivery) {
    String topic = delivery.attributes().getOrDefault("topic", options.topic);
    if (topic == null || topic.isBlank()) {
      return Future.failedFuture(DeliveryException.permanent("no topic: set the target's config \"topic\" or the"
          + " entry's target attribute \"topic\""));
    }
    if (!options.topicAllowed(topic)) {
      return Future.failedFuture(DeliveryException.permanent("the topic "
          + (delivery.attributes().containsKey("topic") ? "of the entry's target attribute \"topic\" " : "")
          + "is not in the target's allowed-topics " + options.allowedTopics));
    }
    String key = delivery.attributes().getOrDefault("key", delivery.key());
    ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, null,
        key == null || key.isEmpty() ? null : key.getBytes(StandardCharsets.UTF_8), delivery.payload().getBytes());
    // walmesh-* record headers are walmesh's own (consumers dedupe by walmesh-entry-id): never from an entry
    delivery.headers().forEach((name, value) -> {
      if (!name.regionMatches(true, 0, "walmesh-", 0, "walmesh-".length())) {
        record.headers().add(new RecordHeader(name, bytes(value)));
      }
    });
    if (options.walmeshHeaders) {
      record.headers().add(new RecordHeader("walmesh-entry-id", bytes(delivery.entryId())));
      record.headers().add(new RecordHeader("walmesh-namespace", bytes(delivery.namespace())));
      record.headers().add(new RecordHeader("walmesh-write-time", bytes(Long.toString(delivery.writeTimeMs()))));
      record.headers().add(new RecordHeader("walmesh-attempt", bytes(Integer.toString(delivery.attempt()))));
    }
    Future<?> sent;
    try {
      sent = producer.send(record);
    } catch (RuntimeException e) {
      sent = Future.failedFuture(e);
    }
    return sent.<Void>mapEmpty().recover(e -> Future.failedFuture(e instanceof RetriableException
        || e.getCause() instanceof RetriableException
        ? DeliveryException.retryable("Kafka " + options.bootstrapServers + " topic " + topic + ": " + e.getMessage())
        : DeliveryException.permanent("Kafka " + options.bootstrapServers + " refused the record for topic " + topic + ": "
            + e.getMessage())));
  }

  private static byte[] bytes(String value) {
    return value.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public Future<Void> close() {
    return producer.close(CLOSE_TIMEOUT);
  }
}
