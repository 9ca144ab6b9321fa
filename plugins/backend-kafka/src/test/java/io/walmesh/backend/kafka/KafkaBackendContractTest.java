package io.walmesh.backend.kafka;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.backend.BackendFactory;
import io.walmesh.testkit.BackendContract;
import io.walmesh.testkit.KafkaBroker;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backend contract on a real Kafka broker (KRaft, in this JVM): one topic per test, two
 * partitions, and a 1 s delay tier so that delays move through a tier topic.
 */
class KafkaBackendContractTest extends BackendContract {
  @TempDir
  static Path brokerDir;
  static KafkaBroker broker;

  @BeforeAll
  static void startBroker() {
    broker = KafkaBroker.start(brokerDir);
  }

  @AfterAll
  static void stopBroker() {
    broker.close();
  }

  @Override
  protected BackendFactory newFactory() {
    return new KafkaBackendFactory();
  }

  @Override
  protected JsonObject config(String namespace) {
    return new JsonObject().put("bootstrap-servers", broker.bootstrapServers()).put("wal-kafka-topic", namespace)
        .put("partitions", 2).put("delay-tiers-secs", new JsonArray().add(1)).put("session-timeout-ms", 6_000)
        .put("revoke-drain-ms", 500);
  }

  @Override
  protected boolean keepsPerKeyOrder() {
    return true;
  }

  /**
   * A namespace opened right after its topics are created must not fail because a broker's metadata
   * does not have them yet (CI once failed with "This server does not host this topic-partition").
   */
  @Test
  void topicsJustCreatedAreDescribedOnceEveryPartitionHasALeader() throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      List<String> topics = IntStream.range(0, 5).mapToObj(i -> "fresh-" + i + "-" + System.nanoTime()).toList();
      admin.createTopics(topics.stream().map(t -> new NewTopic(t, 3, (short) 1)).toList()).all().get(15, TimeUnit.SECONDS);
      Map<String, TopicDescription> described = KafkaBackendFactory.describeWhenReady(admin, topics, 15_000);
      assertThat(described).containsOnlyKeys(topics);
      described.values().forEach(d -> assertThat(d.partitions()).hasSize(3)
          .allSatisfy(p -> assertThat(p.leader().isEmpty()).isFalse()));
    }
  }

  @Test
  void aTopicThatNeverAppearsIsNamedOnceTheWaitIsOver() {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      long start = System.nanoTime();
      assertThatThrownBy(() -> KafkaBackendFactory.describeWhenReady(admin, List.of("never-created"), 1_000))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("[never-created] not ready after 1000 ms")
          .hasMessageContaining("does not host this topic-partition");
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(1_000);
    }
  }
}
