package io.walmesh.backend.sqs;

import io.vertx.core.json.JsonObject;
import io.walmesh.spi.backend.BackendFactory;
import io.walmesh.testkit.BackendContract;
import io.walmesh.testkit.ElasticMq;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The backend contract on a real SQS server (ElasticMQ in this JVM): one queue per test, a 3 s
 * visibility timeout so that an entry leased before a restart comes back within the test.
 */
class SqsBackendContractTest extends BackendContract {
  static ElasticMq sqs;

  @BeforeAll
  static void startSqs() {
    sqs = ElasticMq.start();
  }

  @AfterAll
  static void stopSqs() {
    sqs.close();
  }

  @Override
  protected BackendFactory newFactory() {
    return new SqsBackendFactory();
  }

  @Override
  protected JsonObject config(String namespace) {
    return new JsonObject().put("wal-queue", namespace).put("endpoint", sqs.endpoint()).put("access-key-id", "x")
        .put("secret-access-key", "x").put("wait-time-secs", 0).put("visibility-timeout-secs", 3);
  }

  /** SQS standard queues do not order messages: the sqs backend refuses ordered namespaces. */
  @Override
  protected boolean keepsPerKeyOrder() {
    return false;
  }
}
