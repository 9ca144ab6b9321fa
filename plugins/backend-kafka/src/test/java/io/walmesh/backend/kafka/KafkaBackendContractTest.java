package io.walmesh.backend.kafka;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.backend.BackendFactory;
import io.walmesh.testkit.BackendContract;
import io.walmesh.testkit.KafkaBroker;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
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
}
