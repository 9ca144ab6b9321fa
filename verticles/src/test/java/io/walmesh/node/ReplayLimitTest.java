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
 * A replay on a local namespace counts against the node's limit on pending entries in memory: one that would pass it is
 * refused whole, through the admin API, with a 503 that says how many would fit, nothing is requeued, and the limit
 * still lets writes take the places that are free. The limit is set small for this node with its system property.
 */
class ReplayLimitTest {
  @TempDir
  Path dataDir;

  @Test
  void aReplayPastThePendingLimitIs503AndRequeuesNothing() throws Exception {
    Vertx vertx = Vertx.vertx();
    HttpSink sink = new HttpSink(vertx).start();
    System.setProperty("walmesh.local.max-pending-entries", "20"); // read once, when the node opens its local log
    Node node;
    try {
      node = await(new Node(new NodeOptions().nodeId("replay-limit").dataDir(dataDir).grpc("127.0.0.1", 0)
          .admin("127.0.0.1", 0)).start());
    } finally {
      System.clearProperty("walmesh.local.max-pending-entries");
    }
    AdminHttp admin = new AdminHttp(node.adminPort());
    GrpcWriteClient client = new GrpcWriteClient(vertx, "127.0.0.1", node.grpcPort());
    try {
      create(admin, namespace("replayed", sink.url("/apply")).put("backend", new JsonObject().put("type", "local")
          .put("config", new JsonObject().put("retention-ms", 3_600_000))));
      for (int i = 0; i < 15; i++) {
        assertThat(TestNodes.write(client, TestNodes.request("replayed", "delivered " + i).build()).response()
            .getDurable()).isEqualTo(Trilean.SUCCESS);
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> sink.delivered().size() == 15);
      for (int i = 0; i < 10; i++) {
        assertThat(TestNodes.write(client, TestNodes.delayed("replayed", "later " + i, 3_600_000)).response()
            .getDurable()).isEqualTo(Trilean.SUCCESS);
      }

      AdminHttp.Response refused = admin.post("/v1/namespaces/replayed/replay", new JsonObject().put("from", 0));
      assertThat(refused.status()).as(refused.text()).isEqualTo(503);
      assertThat(refused.body().getString("error")).contains("replay of namespace replayed refused", "20 entries",
          "10 more would fit", "nothing was requeued", "docs/limits.md#local-backend");
      Thread.sleep(1_000);
      assertThat(sink.delivered()).as("nothing requeued, nothing delivered again").hasSize(15);

      // the refused replay holds no places: ten writes fill the limit, the next is refused, certainly not stored
      for (int i = 0; i < 10; i++) {
        assertThat(TestNodes.write(client, TestNodes.delayed("replayed", "fills " + i, 3_600_000)).response()
            .getDurable()).isEqualTo(Trilean.SUCCESS);
      }
      GrpcWriteClient.Result full = TestNodes.write(client, TestNodes.delayed("replayed", "one too many", 3_600_000));
      assertThat(full.response().getDurable()).isEqualTo(Trilean.FAILED);
      assertThat(full.response().getMessage()).contains("20 pending entries");
    } finally {
      client.close();
      await(node.stop());
      sink.close();
      await(vertx.close());
    }
  }
}
