package io.walmesh.node;

import static io.walmesh.node.TestNodes.await;
import static io.walmesh.node.TestNodes.create;
import static io.walmesh.node.TestNodes.delayed;
import static io.walmesh.node.TestNodes.request;
import static io.walmesh.node.TestNodes.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.node.gateway.GrpcWriteClient;
import io.walmesh.protocol.v1.Trilean;
import io.walmesh.testkit.ElasticMq;
import io.walmesh.testkit.HttpSink;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Namespaces on the sqs backend against a real SQS server (ElasticMQ in this JVM). */
class SqsNamespaceTest extends SingleNodeTest {
  static ElasticMq sqs;

  @BeforeAll
  static void startSqs() {
    sqs = ElasticMq.start();
    closeAfterNode.add(sqs);
  }

  static JsonObject sqsNamespace(String name, String url, JsonObject extra) {
    JsonObject config = new JsonObject().put("wal-queue", "walmesh-" + name).put("endpoint", sqs.endpoint())
        .put("access-key-id", "x").put("secret-access-key", "x").put("wait-time-secs", 0)
        .put("visibility-timeout-secs", 5);
    config.mergeIn(extra);
    return TestNodes.namespace(name, url).put("backend", new JsonObject().put("type", "sqs").put("config", config));
  }

  @Test
  void aDelaySeveralTimesTheNativeCapIsHonouredNeitherEarlyNorLost() {
    create(admin, sqsNamespace("sqs-delay", sink.url("/x"), new JsonObject().put("max-native-delay-secs", 1)));
    long due = System.currentTimeMillis() + 3_500;
    assertThat(write(grpc, delayed("sqs-delay", "three and a half caps", 3_500)).response().getDurable())
        .isEqualTo(Trilean.SUCCESS);
    assertThat(write(grpc, request("sqs-delay", "now").build()).response().getDurable()).isEqualTo(Trilean.SUCCESS);

    await().atMost(Duration.ofSeconds(20)).until(() -> sink.deliveredBodies().contains("three and a half caps"));
    HttpSink.Received late = sink.delivered().stream().filter(r -> r.body().equals("three and a half caps")).findFirst().orElseThrow();
    assertThat(late.receivedAtMs()).isGreaterThanOrEqualTo(due);
    assertThat(sink.delivered()).filteredOn(r -> r.body().equals("three and a half caps")).hasSize(1);
    assertThat(sink.delivered().get(0).body()).isEqualTo("now");
  }

  /**
   * Amazon SQS's counts lag a send by up to a minute, so a delete without force right after a write could count
   * nothing and destroy the queue with the entry in it. For counts-lag-secs after the node's last send, the delete is
   * refused and says when to retry; then it goes through. (ElasticMQ's counts are exact; the lag is set short here.)
   */
  @Test
  void aDeleteRightAfterAWriteWaitsOutTheCountsLag() {
    create(admin, sqsNamespace("sqs-lag", sink.url("/x"), new JsonObject().put("counts-lag-secs", 3)));
    long written = System.currentTimeMillis();
    assertThat(write(grpc, request("sqs-lag", "just written").build()).response().getDurable()).isEqualTo(Trilean.SUCCESS);
    await().atMost(Duration.ofSeconds(10)).until(() -> sink.deliveredBodies().contains("just written"));

    AdminHttp.Response refused = admin.call("DELETE", "/v1/namespaces/sqs-lag", null);
    assertThat(System.currentTimeMillis() - written).as("asked within the lag").isLessThan(3_000);
    assertThat(refused.status()).as(refused.text()).isEqualTo(409);
    assertThat(refused.body().getString("error")).contains("could not be counted").contains("counts-lag-secs")
        .contains("retry in");
    assertThat(write(grpc, request("sqs-lag", "after the refusal").build()).response().getDurable())
        .as("writes resume after a refused delete").isEqualTo(Trilean.SUCCESS);
    await().atMost(Duration.ofSeconds(10)).until(() -> sink.deliveredBodies().contains("after the refusal"));

    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(500))
        .until(() -> admin.call("DELETE", "/v1/namespaces/sqs-lag", null).status() == 200);
    assertThat(System.currentTimeMillis() - written).as("deleted once the lag passed").isGreaterThanOrEqualTo(3_000);
  }

  @Test
  void aPayloadOverTheMessageSizeLimitArrivesWhole() {
    create(admin, sqsNamespace("sqs-large", sink.url("/x"), new JsonObject().put("max-message-bytes", 1024)));
    byte[] bytes = new byte[200_000];
    new Random(7).nextBytes(bytes);
    String payload = java.util.Base64.getEncoder().encodeToString(bytes);
    assertThat(write(grpc, request("sqs-large", payload).build()).response().getDurable()).isEqualTo(Trilean.SUCCESS);

    await().atMost(Duration.ofSeconds(15)).until(() -> sink.delivered().size() == 1);
    assertThat(sink.delivered().get(0).body()).hasSize(payload.length()).isEqualTo(payload);
  }

  @Test
  void aFailingTargetIsRetriedWithGrowingBackoffThenAFailingOneEndsInTheDlqAndReplays() {
    JsonObject ns = sqsNamespace("sqs-retry", sink.url("/x"), new JsonObject());
    ns.getJsonObject("retry").put("max-attempts", 3).put("initial-backoff-ms", 1_000);
    create(admin, ns);
    sink.respond(r -> r.body().equals("flaky") && r.attempt() < 3 ? 503 : r.body().equals("broken") ? 500 : 200);
    String flaky = write(grpc, request("sqs-retry", "flaky").build()).response().getEntryId();
    String broken = write(grpc, request("sqs-retry", "broken").build()).response().getEntryId();

    await().atMost(Duration.ofSeconds(30)).until(() -> sink.deliveredIds().contains(flaky));
    List<HttpSink.Received> attempts = sink.received().stream().filter(r -> r.entryId().equals(flaky)).toList();
    assertThat(attempts).extracting(HttpSink.Received::attempt).containsExactly(1, 2, 3);
    assertThat(attempts.get(2).receivedAtMs() - attempts.get(1).receivedAtMs())
        .isGreaterThan(attempts.get(1).receivedAtMs() - attempts.get(0).receivedAtMs());

    await().atMost(Duration.ofSeconds(30)).until(() -> dlq("sqs-retry").size() == 1);
    JsonObject dead = dlq("sqs-retry").getJsonObject(0);
    assertThat(dead.getString("entry-id")).isEqualTo(broken);
    assertThat(dead.getInteger("attempts")).isEqualTo(3);
    assertThat(dead.getString("last-error")).contains("answered 500");

    sink.respond(r -> 200);
    assertThat(admin.post("/v1/namespaces/sqs-retry/dlq/replay", new JsonObject()).body().getInteger("replayed")).isEqualTo(1);
    await().atMost(Duration.ofSeconds(15)).until(() -> sink.deliveredIds().contains(broken));
    assertThat(dlq("sqs-retry")).isEmpty();

    // SQS keeps no delivered entries: a replay of them is refused, saying so
    AdminHttp.Response replay = admin.post("/v1/namespaces/sqs-retry/replay", new JsonObject()
        .put("from", 0).put("to", System.currentTimeMillis()));
    assertThat(replay.status()).as(replay.text()).isEqualTo(409);
    assertThat(replay.text()).contains("sqs backend").contains("keeps no delivered entries");
  }

  @Test
  void aRetriedWriteIsStoredOnceEvenAcrossANodeRestart() {
    create(admin, sqsNamespace("sqs-idem", sink.url("/x"), new JsonObject()));
    io.walmesh.protocol.v1.WriteToLogRequest req = request("sqs-idem", "once").setIdempotencyKey("op-1").build();
    List<io.vertx.core.Future<GrpcWriteClient.Result>> concurrent = new java.util.ArrayList<>();
    for (int i = 0; i < 5; i++) {
      concurrent.add(grpc.write(req, 10_000));
    }
    await(io.vertx.core.Future.all(concurrent));
    String id = concurrent.get(0).result().response().getEntryId();
    assertThat(concurrent).allSatisfy(f -> assertThat(f.result().response().getEntryId()).isEqualTo(id));

    restartNode();
    assertThat(write(grpc, req).response().getEntryId()).isEqualTo(id);

    await().atMost(Duration.ofSeconds(15)).until(() -> sink.deliveredIds().contains(id));
    await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> sink.delivered().size() == 1);
  }

  @Test
  void aNamespaceWhoseQueueCannotBeReachedIsNotCreated() {
    JsonObject unreachable = sqsNamespace("sqs-unreachable", sink.url("/x"), new JsonObject()
        .put("endpoint", "http://127.0.0.1:" + io.walmesh.testkit.FreePorts.next()));
    AdminHttp.Response response = admin.post("/v1/namespaces", unreachable);
    assertThat(response.status()).as(response.text()).isEqualTo(409);
    assertThat(response.body().getString("error")).contains("was not created").contains("cannot open SQS queues");
    assertThat(admin.get("/v1/namespaces/sqs-unreachable").status()).isEqualTo(404);
    assertThat(dataDir.resolve("namespaces/sqs-unreachable.json")).doesNotExist();
    assertThat(admin.get("/v1/health").body().getString("status")).isEqualTo("UP");
  }

  @Test
  void anUpdateThatCannotStartAnswersWithWhyKeepsTheDocumentAndAFixingUpdateRunsAtOnce() {
    create(admin, sqsNamespace("sqs-moved", sink.url("/x"), new JsonObject()));
    JsonObject broken = sqsNamespace("sqs-moved", sink.url("/x"), new JsonObject()
        .put("endpoint", "http://127.0.0.1:" + io.walmesh.testkit.FreePorts.next()));
    AdminHttp.Response refused = admin.call("PUT", "/v1/namespaces/sqs-moved", broken);
    assertThat(refused.status()).as(refused.text()).isEqualTo(409);
    assertThat(refused.body().getString("error")).contains("was updated, but it failed to start with the new document")
        .contains("cannot open SQS queues").contains("tried again");
    JsonObject shown = admin.get("/v1/namespaces/sqs-moved").body();
    assertThat(shown.getString("state")).isEqualTo("failed");
    assertThat(shown.getJsonObject("config").getJsonObject("backend").getJsonObject("config").getString("endpoint"))
        .as("the new document is kept").isEqualTo(broken.getJsonObject("backend").getJsonObject("config").getString("endpoint"));
    GrpcWriteClient.Result unavailable = write(grpc, request("sqs-moved", "while broken").build());
    assertThat(unavailable.status()).isEqualTo(io.vertx.grpc.common.GrpcStatus.UNAVAILABLE);
    assertThat(unavailable.statusMessage()).contains("failed to start").contains("cannot open SQS queues");

    // back to the queue it ran on is a move from the broken endpoint's: whatever that holds cannot be counted, so the
    // fix says so and takes force; then it applies at once, a failure a moment ago does not hold it back
    AdminHttp.Response uncounted = admin.call("PUT", "/v1/namespaces/sqs-moved", sqsNamespace("sqs-moved", sink.url("/x"),
        new JsonObject()));
    assertThat(uncounted.status()).as(uncounted.text()).isEqualTo(409);
    assertThat(uncounted.body().getString("error")).contains("cannot open SQS queues")
        .contains("if it never ran with its current document").contains("force=true");
    AdminHttp.Response fixed = admin.call("PUT", "/v1/namespaces/sqs-moved?force=true", sqsNamespace("sqs-moved",
        sink.url("/x"), new JsonObject()));
    assertThat(fixed.status()).as(fixed.text()).isEqualTo(200);
    assertThat(admin.get("/v1/namespaces/sqs-moved").body().getString("state")).isEqualTo("running");
    assertThat(write(grpc, request("sqs-moved", "after the fix").build()).response().getDurable()).isEqualTo(Trilean.SUCCESS);
    await().atMost(Duration.ofSeconds(15)).until(() -> sink.deliveredBodies().contains("after the fix"));
  }

  @Test
  void aStandaloneNodeShowsItselfAsAMeshOfOneThatOwnsEveryShardAndPinnedNamespace() {
    create(admin, sqsNamespace("sqs-sharded", sink.url("/x"), new JsonObject()).put("shard", "billing"));
    create(admin, TestNodes.namespace("local-pinned", sink.url("/x")));
    String id = node.cluster().nodeId();
    JsonObject cluster = admin.get("/v1/cluster").body();
    assertThat(cluster.getString("mode")).isEqualTo("standalone");
    assertThat(cluster.getString("leader")).isEqualTo(id);
    JsonObject self = cluster.getJsonArray("nodes").getJsonObject(0);
    assertThat(cluster.getJsonArray("nodes")).hasSize(1);
    assertThat(self.getString("id")).isEqualTo(id);
    assertThat(self.getBoolean("alive")).isTrue();
    assertThat(self.getString("admin")).as("its published admin address").endsWith(":" + node.adminPort());
    assertThat(self.getJsonArray("producer-shards").getList()).contains("billing");
    JsonObject billing = cluster.getJsonArray("shards").stream().map(JsonObject.class::cast)
        .filter(s -> s.getString("shard").equals("billing")).findFirst().orElseThrow();
    assertThat(billing.getJsonArray("producers").getList()).containsExactly(id);
    assertThat(billing.getJsonArray("consumers").getList()).containsExactly(id);
    assertThat(billing.getJsonArray("namespaces").getList()).containsExactly("sqs-sharded");
    JsonObject pinned = cluster.getJsonArray("pinned-namespaces").stream().map(JsonObject.class::cast)
        .filter(p -> p.getString("namespace").equals("local-pinned")).findFirst().orElseThrow();
    assertThat(pinned.getString("home-node")).isEqualTo(id);
    assertThat(pinned.getBoolean("alive")).isTrue();
  }

  @Test
  void perKeyOrderingIsRefusedWithTheReason() {
    AdminHttp.Response response = admin.post("/v1/namespaces",
        sqsNamespace("sqs-ordered", sink.url("/x"), new JsonObject()).put("ordering", "per-key"));
    assertThat(response.status()).isEqualTo(400);
    assertThat(response.body().getString("field")).isEqualTo("ordering");
    assertThat(response.body().getString("error")).contains("sqs backend cannot keep per-key order");

    AdminHttp.Response noQueue = admin.post("/v1/namespaces", TestNodes.namespace("sqs-bad", sink.url("/x"))
        .put("backend", new JsonObject().put("type", "sqs").put("config", new JsonObject())));
    assertThat(noQueue.body().getString("field")).isEqualTo("backend.config.wal-queue");
  }

  private static JsonArray dlq(String namespace) {
    return admin.get("/v1/namespaces/" + namespace + "/dlq").body().getJsonArray("entries");
  }
}
