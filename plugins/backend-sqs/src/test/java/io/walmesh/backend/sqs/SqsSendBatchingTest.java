package io.walmesh.backend.sqs;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.PluginContext;
import io.walmesh.spi.backend.AppendResult;
import io.walmesh.spi.backend.Backend;
import io.walmesh.spi.backend.BackendSpec;
import io.walmesh.spi.entry.EntryRecord;
import io.walmesh.testkit.BackendProbe;
import io.walmesh.testkit.BackendProbe.Polled;
import io.walmesh.testkit.ElasticMq;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writes to an SQS namespace go out in SendMessageBatch calls, on a real SQS server (ElasticMQ in this JVM). */
class SqsSendBatchingTest {
  static ElasticMq sqs;
  static Vertx vertx;
  @TempDir
  Path dir;

  @BeforeAll
  static void start() {
    sqs = ElasticMq.start();
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    BackendProbe.await(vertx.close());
    sqs.close();
  }

  @Test
  void concurrentWritesShareCallsAndEachGetsItsOwnIdAndIsDelivered() {
    BackendProbe probe = new BackendProbe(vertx.getOrCreateContext());
    SqsBackendFactory factory = new SqsBackendFactory();
    probe.call(() -> factory.init(new PluginContext(vertx, dir, "batching-node")));
    JsonObject config = new JsonObject().put("wal-queue", "batching").put("endpoint", sqs.endpoint())
        .put("access-key-id", "x").put("secret-access-key", "x").put("wait-time-secs", 0).put("max-sends-in-flight", 2);
    Backend backend = probe.call(() -> factory.open(new BackendSpec("batching", config, "backend.config", false,
        Duration.ofHours(1))));
    try {
      int writes = 200;
      List<Future<AppendResult>> appends = new ArrayList<>();
      String[] payloads = new String[writes];
      probe.call(() -> {
        for (int i = 0; i < writes; i++) {
          payloads[i] = "batched-" + i;
          appends.add(backend.append(EntryRecord.newBuilder().setNamespace("batching")
              .setPayload(ByteString.copyFromUtf8(payloads[i])).setWriteTimeMs(System.currentTimeMillis()).build()));
        }
        return Future.all(appends);
      });
      Set<String> ids = new HashSet<>();
      appends.forEach(a -> ids.add(a.result().entryId()));
      assertThat(ids).as("each write has its own entry id").hasSize(writes);
      long[] callsAndMessages = ((SqsBackend) backend).sendCallsAndMessages();
      assertThat(callsAndMessages[1]).as("messages sent").isEqualTo(writes);
      // two calls in flight: the 198 writes that queued behind them went ten to a call
      assertThat(callsAndMessages[0]).as("SendMessageBatch calls for " + writes + " writes").isBetween(20L, 40L);
      List<Polled> polled = probe.pollUntilPayloads(backend, Duration.ofSeconds(20), payloads);
      Set<String> polledIds = new HashSet<>();
      polled.forEach(p -> polledIds.add(p.lease().entry().getEntryId()));
      assertThat(polledIds).as("every acknowledged write is delivered with the id its write answered").containsAll(ids);
    } finally {
      probe.call(backend::destroy);
      probe.call(factory::close);
    }
  }
}
