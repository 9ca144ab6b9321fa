package io.walmesh.target.kafka;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.target.Delivery;
import io.walmesh.testkit.KafkaBroker;
import io.walmesh.testkit.TargetContract;
import io.walmesh.testkit.TargetTests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * The target contract against a real Kafka broker (KRaft, in this JVM), read back by a plain
 * consumer: what a key holds is the value of its last record on the topic. The target allows only
 * its own topic, so an entry asking for another topic is refused for good.
 */
class KafkaTargetContractTest extends TargetContract {
  static final String TOPIC = "contract-target";
  @TempDir
  static Path brokerDir;
  static KafkaBroker broker;
  static KafkaConsumer<byte[], byte[]> reader;
  static final Map<String, String> lastValues = new ConcurrentHashMap<>();

  @BeforeAll
  static void startBroker() {
    broker = KafkaBroker.start(brokerDir);
    reader = new KafkaConsumer<>(Map.of("bootstrap.servers", broker.bootstrapServers(), "auto.offset.reset", "earliest"),
        new ByteArrayDeserializer(), new ByteArrayDeserializer());
    reader.assign(List.of(new TopicPartition(TOPIC, 0)));
  }

  @AfterAll
  static void stopBroker() {
    reader.close(Duration.ZERO);
    broker.close();
  }

  @Override
  protected String type() {
    return "kafka";
  }

  @Override
  protected JsonObject config() {
    return new JsonObject().put("bootstrap-servers", broker.bootstrapServers()).put("topic", TOPIC)
        .put("allowed-topics", new JsonArray().add(TOPIC)).put("delivery-timeout-ms", 2_000);
  }

  @Override
  protected Buffer write(String key, String value) {
    return Buffer.buffer(value);
  }

  @Override
  protected synchronized Optional<String> applied(String key) {
    for (ConsumerRecord<byte[], byte[]> record : reader.poll(Duration.ofMillis(200))) {
      if (record.key() != null) {
        lastValues.put(new String(record.key(), StandardCharsets.UTF_8), new String(record.value(), StandardCharsets.UTF_8));
      }
    }
    return Optional.ofNullable(lastValues.get(key));
  }

  @Override
  protected Delivery refused() {
    Delivery d = TargetTests.delivery(key("refused"), System.currentTimeMillis(), Buffer.buffer("x"));
    return new Delivery(d.namespace(), d.entryId(), d.key(), d.payload(), d.headers(), Map.of("topic", "elsewhere"),
        d.writeTimeMs(), d.attempt());
  }

  @Override
  protected void stopServer() {
    broker.stop();
  }

  @Override
  protected void startServer() {
    broker.restart();
  }

  /** A topic keeps every record; consumers see them in the order they were produced. */
  @Override
  protected boolean versionsByWriteTime() {
    return false;
  }
}
