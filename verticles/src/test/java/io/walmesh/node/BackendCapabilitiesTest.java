package io.walmesh.node;

import static io.walmesh.node.TestNodes.create;
import static io.walmesh.node.TestNodes.request;
import static io.walmesh.node.TestNodes.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import io.walmesh.protocol.v1.Trilean;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A namespace on a backend that implements only the core SPI (no browsable DLQ, no counts, no
 * replay; {@link MinimalBackendFactory}): it takes writes and delivers, and every feature it lacks
 * is refused with the reason instead of failing inside the node.
 */
class BackendCapabilitiesTest extends SingleNodeTest {

  private JsonObject minimal(String name) {
    return TestNodes.namespace(name, sink.url("/x")).put("ordering", "none")
        .put("backend", new JsonObject().put("type", "minimal"));
  }

  @Test
  void aBackendWithoutCapabilitiesDeliversAndTheNodeRefusesWhatItLacksWithTheReason() {
    create(admin, minimal("bare"));
    assertThat(write(grpc, request("bare", "through a bare backend").build()).response().getDurable())
        .isEqualTo(Trilean.SUCCESS);
    await().atMost(Duration.ofSeconds(10)).until(() -> sink.deliveredBodies().contains("through a bare backend"));

    JsonObject shown = admin.get("/v1/namespaces/bare").body();
    assertThat(shown.getString("state")).isEqualTo("running");
    assertThat(shown.containsKey("stats")).as("no counts are made up for a backend that cannot count").isFalse();

    AdminHttp.Response dlq = admin.get("/v1/namespaces/bare/dlq");
    assertThat(dlq.status()).isEqualTo(409);
    assertThat(dlq.body().getString("error")).contains("minimal backend").contains("cannot list, replay or purge");
    AdminHttp.Response purge = admin.post("/v1/namespaces/bare/dlq/purge", new JsonObject());
    assertThat(purge.status()).isEqualTo(409);
    AdminHttp.Response replay = admin.post("/v1/namespaces/bare/replay", new JsonObject().put("from", 0));
    assertThat(replay.status()).isEqualTo(409);
    assertThat(replay.body().getString("error")).contains("keeps no delivered entries");

    AdminHttp.Response delete = admin.call("DELETE", "/v1/namespaces/bare", null);
    assertThat(delete.status()).isEqualTo(409);
    assertThat(delete.body().getString("error")).contains("cannot count its entries").contains("force=true");
    assertThat(admin.get("/v1/namespaces/bare").status()).as("still there").isEqualTo(200);
    assertThat(admin.call("DELETE", "/v1/namespaces/bare?force=true", null).status()).isIn(200, 204);
    assertThat(admin.get("/v1/namespaces/bare").status()).isEqualTo(404);
  }
}
