package io.walmesh.node;

import static io.walmesh.node.TestNodes.await;
import static io.walmesh.node.TestNodes.create;
import static io.walmesh.node.TestNodes.namespace;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.walmesh.node.gateway.GrpcWriteClient;
import io.walmesh.protocol.v1.Trilean;
import io.walmesh.testkit.HttpSink;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replay on a local namespace is written in one batch, so one request requeues at most a bounded number of entries
 * (here set to 10 with its system property): one that covers more is refused whole, through the admin API, with a 503
 * that names the limit and what to do, and nothing is requeued; a shorter range is replayed and delivered again.
 */
class ReplayLimitTest {
  @TempDir
  Path dataDir;

  @Test
  void aReplayOverItsLimitIs503AndRequeuesNothingWhileAShorterOneIsDelivered() throws Exception {
    Vertx vertx = Vertx.vertx();
    HttpSink sink = new HttpSink(vertx).start();
    Node node = await(new Node(new NodeOptions().nodeId("replay-limit").dataDir(dataDir).grpc("127.0.0.1", 0)
        .admin("127.0.0.1", 0)).start());
    AdminHttp admin = new AdminHttp(node.adminPort());
    GrpcWriteClient client = new GrpcWriteClient(vertx, "127.0.0.1", node.grpcPort());
    try {
      create(admin, namespace("replayed", sink.url("/apply")).put("backend", new JsonObject().put("type", "local")
          .put("config", new JsonObject().put("retention-ms", 3_600_000))));
      long firstFive = System.currentTimeMillis();
      long cut = 0;
      for (int i = 0; i < 15; i++) {
        if (i == 5) { // entries 0 to 4 were written before cut, the others from cut on: [firstFive, cut) holds five
          cut = System.currentTimeMillis() + 1;
          long after = cut;
          await().until(() -> System.currentTimeMillis() >= after);
        }
        assertThat(TestNodes.write(client, TestNodes.request("replayed", "delivered " + i).build()).response()
            .getDurable()).isEqualTo(Trilean.SUCCESS);
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> sink.delivered().size() == 15);

      System.setProperty("walmesh.local.max-replay-entries", "10"); // read by each replay
      AdminHttp.Response refused = admin.post("/v1/namespaces/replayed/replay", new JsonObject().put("from", 0));
      assertThat(refused.status()).as(refused.text()).isEqualTo(503);
      assertThat(refused.body().getString("error")).contains("replay of namespace replayed refused",
          "more than 10 delivered entries", "walmesh.local.max-replay-entries", "nothing was requeued",
          "docs/limits.md#local-backend");
      await("nothing requeued, nothing delivered again").during(Duration.ofSeconds(1))
          .atMost(Duration.ofSeconds(5)).until(() -> sink.delivered().size() == 15);

      AdminHttp.Response shorter = admin.post("/v1/namespaces/replayed/replay", new JsonObject().put("from", firstFive)
          .put("to", cut));
      assertThat(shorter.status()).as(shorter.text()).isEqualTo(202);
      assertThat(shorter.body().getLong("queued")).isEqualTo(5);
      await().atMost(Duration.ofSeconds(20)).until(() -> sink.delivered().size() == 20);
    } finally {
      System.clearProperty("walmesh.local.max-replay-entries");
      client.close();
      await(node.stop());
      sink.close();
      await(vertx.close());
    }
  }
}
