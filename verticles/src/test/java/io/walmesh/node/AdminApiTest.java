package io.walmesh.node;

import static io.walmesh.node.TestNodes.await;
import static io.walmesh.node.TestNodes.create;
import static io.walmesh.node.TestNodes.delayed;
import static io.walmesh.node.TestNodes.namespace;
import static io.walmesh.node.TestNodes.request;
import static io.walmesh.node.TestNodes.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.node.gateway.GrpcWriteClient;
import io.walmesh.protocol.v1.Trilean;
import io.walmesh.testkit.HttpSink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin API as an operator uses it with curl: namespace CRUD, validation, live changes, persistence. */
class AdminApiTest {
  @TempDir
  Path dataDir;
  Vertx vertx;
  HttpSink sink;
  Node node;
  AdminHttp admin;
  GrpcWriteClient grpc;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    sink = new HttpSink(vertx).start();
    startNode();
  }

  private void startNode() {
    node = TestNodes.start(dataDir);
    admin = new AdminHttp(node.adminPort());
    grpc = new GrpcWriteClient(vertx, "127.0.0.1", node.grpcPort());
  }

  private void stopNode() {
    grpc.close();
    await(node.stop());
  }

  @AfterEach
  void stop() {
    stopNode();
    sink.close();
    await(vertx.close());
  }

  @Test
  void invalidDocumentsAreRefusedWithTheBadFieldNamed() {
    JsonObject badRetry = namespace("orders", sink.url("/x"));
    badRetry.getJsonObject("retry").put("max-attempts", 0);
    assertBadField(badRetry, "retry.max-attempts", "between 1 and");

    JsonObject noUrl = namespace("orders", sink.url("/x"));
    noUrl.getJsonArray("targets").getJsonObject(0).put("config", new JsonObject());
    assertBadField(noUrl, "targets[0].config.url", "required");

    assertBadField(namespace("orders", sink.url("/x")).put("retyr", new JsonObject()), "retyr", "unknown field");
    assertBadField(namespace("Orders!", sink.url("/x")), "name", "must match");
    assertBadField(namespace("orders", sink.url("/x")).put("ordering", "sometimes"), "ordering", "per-key");
    assertBadField(namespace("orders", sink.url("/x")).put("backend", new JsonObject().put("type", "cassandra")),
        "backend.type", "unknown backend type");
    assertBadField(namespace("orders", "ftp://example"), "targets[0].config.url", "http://");
    assertBadField(namespace("orders", sink.url("/x")).put("targets", new JsonArray()), "targets", "at least one target");

    AdminHttp.Response notJson = admin.call("POST", "/v1/namespaces", "{not json");
    assertThat(notJson.status()).isEqualTo(400);
    assertThat(admin.get("/v1/namespaces").body().getJsonArray("namespaces")).isEmpty();
  }

  private void assertBadField(JsonObject document, String field, String problem) {
    AdminHttp.Response response = admin.post("/v1/namespaces", document);
    assertThat(response.status()).as(response.text()).isEqualTo(400);
    assertThat(response.body().getString("field")).isEqualTo(field);
    assertThat(response.body().getString("error")).startsWith(field + ": ").contains(problem);
  }

  @Test
  void namespacesAreCreatedReadUpdatedLiveAndSurviveARestart() {
    HttpSink newSink = new HttpSink(vertx).start();
    try {
      create(admin, namespace("orders", sink.url("/v1")));
      assertThat(admin.post("/v1/namespaces", namespace("orders", sink.url("/v1"))).status()).isEqualTo(409);
      AdminHttp.Response read = admin.get("/v1/namespaces/orders");
      assertThat(read.body().getString("state")).isEqualTo("running");
      assertThat(read.body().getJsonObject("config").getJsonObject("retry").getInteger("max-attempts")).isEqualTo(5);
      assertThat(admin.get("/v1/namespaces/nothing").status()).isEqualTo(404);

      assertThat(write(grpc, request("orders", "before").build()).response().getDurable()).isEqualTo(Trilean.SUCCESS);
      await().atMost(Duration.ofSeconds(10)).until(() -> sink.deliveredBodies().contains("before"));
      assertThat(write(grpc, delayed("orders", "delayed", 1_500)).response().getDurable()).isEqualTo(Trilean.SUCCESS);

      AdminHttp.Response updated = admin.call("PUT", "/v1/namespaces/orders", namespace("orders", newSink.url("/v2")));
      assertThat(updated.status()).as(updated.text()).isEqualTo(200);
      assertThat(write(grpc, request("orders", "after").build()).response().getDurable()).isEqualTo(Trilean.SUCCESS);
      await().atMost(Duration.ofSeconds(10)).until(() -> newSink.deliveredBodies().containsAll(java.util.List.of("after", "delayed")));
      assertThat(sink.deliveredBodies()).containsExactly("before");

      stopNode();
      assertThat(Files.exists(dataDir.resolve("namespaces/orders.json"))).isTrue();
      startNode();
      assertThat(admin.get("/v1/namespaces/orders").body().getJsonObject("config").getJsonArray("targets")
          .getJsonObject(0).getJsonObject("config").getString("url")).isEqualTo(newSink.url("/v2"));
      assertThat(write(grpc, request("orders", "after restart").build()).response().getDurable()).isEqualTo(Trilean.SUCCESS);
      await().atMost(Duration.ofSeconds(10)).until(() -> newSink.deliveredBodies().contains("after restart"));
    } finally {
      newSink.close();
    }
  }

  @Test
  void aDelayedEntryWrittenBeforeARestartIsDeliveredAfterIt() {
    create(admin, namespace("later", sink.url("/x")));
    long due = System.currentTimeMillis() + 2_000;
    assertThat(write(grpc, delayed("later", "survives restart", 2_000)).response().getDurable()).isEqualTo(Trilean.SUCCESS);
    stopNode();
    startNode();
    assertThat(admin.get("/v1/namespaces/later").body().getJsonObject("stats").getLong("pending")).isEqualTo(1);
    await().atMost(Duration.ofSeconds(10)).until(() -> sink.deliveredBodies().contains("survives restart"));
    assertThat(sink.delivered().get(0).receivedAtMs()).isGreaterThanOrEqualTo(due);
  }

  /**
   * An update to another backend would leave the stored entries where nothing reads them: it is refused while the
   * namespace holds any, writes go on, and the entries are delivered; a change of the same backend's tuning applies
   * with entries stored; once they are delivered the move goes through; forced, it goes through at once.
   */
  @Test
  void anUpdateToAnotherBackendIsRefusedWhileEntriesAreStoredUnlessForced() {
    create(admin, namespace("moving", sink.url("/x")));
    assertThat(write(grpc, delayed("moving", "stored before the move", 1_500)).response().getDurable())
        .isEqualTo(Trilean.SUCCESS);
    JsonObject elsewhere = namespace("moving", sink.url("/x")).put("ordering", "none")
        .put("backend", new JsonObject().put("type", "minimal"));
    AdminHttp.Response refused = admin.call("PUT", "/v1/namespaces/moving", elsewhere);
    assertThat(refused.status()).as(refused.text()).isEqualTo(409);
    assertThat(refused.body().getString("error")).contains("would never be delivered").contains("1 pending")
        .contains("force=true").contains("backend type local -> minimal");
    assertThat(admin.get("/v1/namespaces/moving").body().getJsonObject("config").getJsonObject("backend")
        .getString("type")).as("the document is kept").isEqualTo("local");
    assertThat(write(grpc, request("moving", "written after the refusal").build()).response().getDurable())
        .as("writes go on").isEqualTo(Trilean.SUCCESS);

    AdminHttp.Response tuned = admin.call("PUT", "/v1/namespaces/moving", namespace("moving", sink.url("/x"))
        .put("backend", new JsonObject().put("type", "local").put("config", new JsonObject().put("retention-ms", 60_000))));
    assertThat(tuned.status()).as("the same place, other settings: " + tuned.text()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(15)).until(() -> sink.deliveredBodies().containsAll(
        java.util.Set.of("stored before the move", "written after the refusal")));

    AdminHttp.Response moved = admin.call("PUT", "/v1/namespaces/moving", elsewhere);
    assertThat(moved.status()).as("everything delivered: " + moved.text()).isEqualTo(200);
    assertThat(admin.get("/v1/namespaces/moving").body().getJsonObject("config").getJsonObject("backend")
        .getString("type")).isEqualTo("minimal");
    assertThat(write(grpc, request("moving", "on the new backend").build()).response().getDurable())
        .isEqualTo(Trilean.SUCCESS);
    await().atMost(Duration.ofSeconds(15)).until(() -> sink.deliveredBodies().contains("on the new backend"));

    // a backend that cannot count its entries cannot show it holds none: only a forced move leaves it
    AdminHttp.Response uncounted = admin.call("PUT", "/v1/namespaces/moving", namespace("moving", sink.url("/x")));
    assertThat(uncounted.status()).isEqualTo(409);
    assertThat(uncounted.body().getString("error")).contains("cannot count its entries").contains("force=true");
    assertThat(admin.call("PUT", "/v1/namespaces/moving?force=true", namespace("moving", sink.url("/x"))).status())
        .isEqualTo(200);
    assertThat(admin.get("/v1/namespaces/moving").body().getJsonObject("config").getJsonObject("backend")
        .getString("type")).isEqualTo("local");
  }

  @Test
  void aChangeMadeAtTheVersionItWasReadAtIsRefusedOnceAnotherChangeLanded() {
    create(admin, namespace("shared", sink.url("/x")));
    AdminHttp.Response read = admin.get("/v1/namespaces/shared");
    String version = read.body().getString("version");
    assertThat(version).isNotBlank();
    assertThat(read.header("ETag")).isEqualTo('"' + version + '"');

    // two operators read the same version; the first change lands, the second would silently undo it
    JsonObject first = read.body().getJsonObject("config").copy().put("dedupe-window-ms", 60_000);
    JsonObject second = read.body().getJsonObject("config").copy();
    second.getJsonObject("retry").put("max-attempts", 3);
    AdminHttp.Response landed = admin.call("PUT", "/v1/namespaces/shared", first, read.header("ETag"));
    assertThat(landed.status()).as(landed.text()).isEqualTo(200);
    String next = admin.get("/v1/namespaces/shared").body().getString("version");
    assertThat(next).isNotEqualTo(version);
    assertThat(landed.header("ETag")).isEqualTo('"' + next + '"');

    AdminHttp.Response stale = admin.call("PUT", "/v1/namespaces/shared", second, read.header("ETag"));
    assertThat(stale.status()).as(stale.text()).isEqualTo(412);
    assertThat(stale.body().getString("error")).contains("is at version " + next + ", not " + version)
        .contains("nothing was stored").contains("GET it again");
    JsonObject kept = admin.get("/v1/namespaces/shared").body().getJsonObject("config");
    assertThat(kept.getLong("dedupe-window-ms")).as("the first change stays").isEqualTo(60_000L);
    assertThat(kept.getJsonObject("retry").getInteger("max-attempts")).isNotEqualTo(3);

    JsonObject redone = kept.copy();
    redone.getJsonObject("retry").put("max-attempts", 3);
    assertThat(admin.call("PUT", "/v1/namespaces/shared", redone, next).status()).as("unquoted works too").isEqualTo(200);
    assertThat(admin.call("PUT", "/v1/namespaces/shared", redone, "*").status()).as("* matches any version")
        .isEqualTo(200);
    JsonObject both = admin.get("/v1/namespaces/shared").body().getJsonObject("config");
    assertThat(both.getLong("dedupe-window-ms")).isEqualTo(60_000L);
    assertThat(both.getJsonObject("retry").getInteger("max-attempts")).isEqualTo(3);
    assertThat(write(grpc, request("shared", "after the changes").build()).response().getDurable())
        .isEqualTo(Trilean.SUCCESS);

    // a stale version is refused before anything is checked: not a 409 about the entries a move would leave
    assertThat(write(grpc, delayed("shared", "held", 3_600_000)).response().getDurable()).isEqualTo(Trilean.SUCCESS);
    AdminHttp.Response staleMove = admin.call("PUT", "/v1/namespaces/shared", namespace("shared", sink.url("/x"))
        .put("ordering", "none").put("backend", new JsonObject().put("type", "minimal")), read.header("ETag"));
    assertThat(staleMove.status()).as(staleMove.text()).isEqualTo(412);
    assertThat(write(grpc, request("shared", "writes go on").build()).response().getDurable())
        .isEqualTo(Trilean.SUCCESS);
  }

  /**
   * A document this node cannot run (written by a node that has a plugin type not installed here) does not lock the
   * namespace: an update through this node that keeps the entries where both documents store them replaces it; one
   * that may move them needs force, since this node cannot count what is stored under the document it cannot run.
   */
  @Test
  void aDocumentThisNodeCannotRunIsReplacedByAnUpdateThroughIt() {
    create(admin, namespace("foreign", sink.url("/x")));
    JsonObject running = admin.get("/v1/namespaces/foreign").body().getJsonObject("config");
    JsonObject foreignTarget = running.copy();
    foreignTarget.getJsonArray("targets").getJsonObject(0).put("type", "not-installed-here");
    // as another node with that plugin would store it
    assertThat(TestNodes.await(node.cluster().replaceIf("foreign", json -> true, foreignTarget.encode()))).isTrue();
    await().atMost(Duration.ofSeconds(10)).until(() -> admin.get("/v1/namespaces/foreign").body()
        .getString("error", "").contains("invalid on this node"));
    AdminHttp.Response read = admin.get("/v1/namespaces/foreign");
    assertThat(read.body().getString("version")).as("the version of the document the cluster holds")
        .isEqualTo(io.walmesh.node.namespace.NamespaceConfig.parse(foreignTarget.encode()).version());

    AdminHttp.Response fixed = admin.call("PUT", "/v1/namespaces/foreign", running.copy().put("dedupe-window-ms", 60_000),
        read.header("ETag"));
    assertThat(fixed.status()).as(fixed.text()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(10)).until(() -> "running".equals(
        admin.get("/v1/namespaces/foreign").body().getString("state")));
    assertThat(write(grpc, request("foreign", "after the fix").build()).response().getDurable()).isEqualTo(Trilean.SUCCESS);

    // a document whose entries are stored by a backend type not installed here: moving off it is not counted here
    JsonObject foreignBackend = running.copy().put("backend", new JsonObject().put("type", "not-installed-here"));
    assertThat(TestNodes.await(node.cluster().replaceIf("foreign", json -> true, foreignBackend.encode()))).isTrue();
    await().atMost(Duration.ofSeconds(10)).until(() -> admin.get("/v1/namespaces/foreign").body()
        .getString("error", "").contains("invalid on this node"));
    AdminHttp.Response refused = admin.call("PUT", "/v1/namespaces/foreign", running);
    assertThat(refused.status()).as(refused.text()).isEqualTo(409);
    assertThat(refused.body().getString("error")).contains("cannot run on this node").contains("force=true");
    assertThat(admin.call("PUT", "/v1/namespaces/foreign?force=true", running).status()).isEqualTo(200);
  }

  @Test
  void deletingANamespaceWithPendingEntriesNeedsForce() {
    create(admin, namespace("temp", sink.url("/x")));
    assertThat(write(grpc, delayed("temp", "far future", 3_600_000)).response().getDurable()).isEqualTo(Trilean.SUCCESS);

    AdminHttp.Response refused = admin.call("DELETE", "/v1/namespaces/temp", null);
    assertThat(refused.status()).isEqualTo(409);
    assertThat(refused.body().getString("error")).contains("1 pending").contains("force=true");
    assertThat(admin.call("DELETE", "/v1/namespaces/temp?force=true", null).status()).isEqualTo(200);
    assertThat(admin.get("/v1/namespaces/temp").status()).isEqualTo(404);
    assertThat(write(grpc, request("temp", "x").build()).status().name()).isEqualTo("NOT_FOUND");

    create(admin, namespace("temp", sink.url("/x")));
    assertThat(admin.get("/v1/namespaces/temp").body().getJsonObject("stats").getLong("pending"))
        .as("a re-created namespace does not inherit the deleted one's entries").isZero();
  }

  @Test
  void healthAndMetricsReportPerNamespace() {
    create(admin, namespace("metered", sink.url("/x")));
    assertThat(write(grpc, request("metered", "m").build()).response().getDurable()).isEqualTo(Trilean.SUCCESS);
    assertThat(write(grpc, request("not-there", "m").build()).status().name()).isEqualTo("NOT_FOUND");
    await().atMost(Duration.ofSeconds(10)).until(() -> sink.deliveredBodies().contains("m"));

    JsonObject health = admin.get("/v1/health").body();
    assertThat(health.getString("status")).isEqualTo("UP");
    assertThat(health.getJsonObject("namespaces").getString("metered")).isEqualTo("running");
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(admin.get("/metrics").text())
        .contains("walmesh_writes_total{namespace=\"metered\",result=\"success\"} 1.0")
        .contains("walmesh_deliveries_total{namespace=\"metered\",result=\"success\",target=\"web\"} 1.0")
        .contains("walmesh_entries_pending{namespace=\"metered\"} 0.0")
        .contains("walmesh_write_latency_seconds_count{namespace=\"metered\"} 1")
        .contains("walmesh_writes_total{namespace=\"(unknown)\",result=\"not-found\"} 1.0")
        .doesNotContain("not-there"));
    assertThat(admin.get("/v1/nope").status()).isEqualTo(404);
  }

  @Test
  void aBrokenNamespaceFileIsReportedAndDoesNotStopTheNode() throws Exception {
    create(admin, namespace("good", sink.url("/x")));
    stopNode();
    Files.writeString(dataDir.resolve("namespaces/bad.json"), "{\"name\": \"bad\", \"targets\": []}");
    startNode();
    JsonObject health = admin.get("/v1/health").body();
    assertThat(health.getString("status")).isEqualTo("DEGRADED");
    assertThat(health.getJsonArray("broken-namespace-files").getJsonObject(0).getString("problem")).contains("targets");
    assertThat(write(grpc, request("good", "still works").build()).response().getDurable()).isEqualTo(Trilean.SUCCESS);
  }
}
