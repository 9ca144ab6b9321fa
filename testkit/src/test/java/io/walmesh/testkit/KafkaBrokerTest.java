package io.walmesh.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The test broker is a real broker: acks=all writes survive a stop and restart on the same log dir. */
class KafkaBrokerTest {
  @TempDir
  Path dir;

  private KafkaProducer<String, String> producer(KafkaBroker broker) {
    return new KafkaProducer<>(Map.of("bootstrap.servers", broker.bootstrapServers(), "acks", "all",
        "enable.idempotence", "true", "delivery.timeout.ms", "5000", "request.timeout.ms", "2000", "max.block.ms", "3000"),
        new StringSerializer(), new StringSerializer());
  }

  @Test
  void recordsWrittenBeforeAnOutageAreReadAfterTheRestart() throws Exception {
    try (KafkaBroker broker = KafkaBroker.start(dir)) {
      try (KafkaProducer<String, String> producer = producer(broker)) {
        for (int i = 0; i < 10; i++) {
          producer.send(new ProducerRecord<>("t", "k" + i, "v" + i)).get(30, TimeUnit.SECONDS);
        }
      }
      broker.stop();
      try (KafkaProducer<String, String> producer = producer(broker)) {
        assertThatThrownBy(() -> producer.send(new ProducerRecord<>("t", "k", "during outage")).get(30, TimeUnit.SECONDS))
            .isInstanceOf(ExecutionException.class);
      }
      broker.restart();
      List<String> values = new ArrayList<>();
      try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers",
          broker.bootstrapServers(), "group.id", "g", "auto.offset.reset", "earliest"),
          new StringDeserializer(), new StringDeserializer())) {
        consumer.subscribe(List.of("t"));
        long deadline = System.currentTimeMillis() + 60_000;
        while (values.size() < 10 && System.currentTimeMillis() < deadline) {
          for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
            values.add(record.value());
          }
        }
      }
      assertThat(values).containsExactly("v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9");
    }
  }
}
