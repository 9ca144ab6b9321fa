package io.walmesh.node;

import static io.walmesh.node.TestNodes.await;
import static io.walmesh.node.TestNodes.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.node.gateway.GrpcWriteClient;
import io.walmesh.node.namespace.NamespaceConfig;
import io.walmesh.protocol.v1.Trilean;
import io.walmesh.testkit.ElasticMq;
import io.walmesh.testkit.HttpSink;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Meshes of real nodes (clustered Vert.x on Hazelcast, loopback TCP-IP discovery): routing to the
 * owner of a shard, adding a node, a node killed with SIGKILL, and two meshes side by side.
 * Namespaces that must move between nodes are on the sqs backend (ElasticMQ in this JVM).
 */
class MeshTest {
  static ElasticMq sqs;
  static Vertx client;
  @TempDir
  Path dir;
  HttpSink sink;
  EmbeddedMesh mesh;

  @BeforeAll
  static void startServers() {
    sqs = ElasticMq.start();
    client = Vertx.vertx();
  }

  @AfterAll
  static void stopServers() {
    sqs.close();
    await(client.close());
  }

  @BeforeEach
  void startSink() {
    sink = new HttpSink(client).start();
  }

  @AfterEach
  void stopAll() {
    if (mesh != null) {
      mesh.close();
    }
    sink.close();
  }

  JsonObject sqsNamespace(String name, String shard) {
    JsonObject ns = TestNodes.namespace(name, sink.url("/" + name)).put("shard", shard);
    ns.getJsonObject("retry").put("max-attempts", 1000).put("max-backoff-ms", 500);
    return ns.put("backend", new JsonObject().put("type", "sqs").put("config", new JsonObject()
        .put("wal-queue", "mesh-" + name + "-" + System.nanoTime()).put("endpoint", sqs.endpoint())
        .put("access-key-id", "x").put("secret-access-key", "x").put("wait-time-secs", 0)
        .put("visibility-timeout-secs", 3).put("counts-lag-secs", 0))); // ElasticMQ's counts are exact
  }

  private static List<String> owners(JsonObject cluster, String shard) {
    return owners(cluster, shard, "producers");
  }

  /** A shard's {@code producers} or {@code consumers}, as {@code GET /v1/cluster} lists them. */
  private static List<String> owners(JsonObject cluster, String shard, String role) {
    for (Object o : cluster.getJsonArray("shards")) {
      JsonObject s = (JsonObject) o;
      if (s.getString("shard").equals(shard)) {
        return s.getJsonArray(role).stream().map(String::valueOf).toList();
      }
    }
    return List.of();
  }

  /**
   * A mesh of node w (gateway and producer) and node r (gateway and consumer) for shard s, with {@code namespace}
   * created on it through r: its writes are taken by w, and r delivers it.
   */
  private void splitRoles(JsonObject namespace) {
    mesh = new EmbeddedMesh(dir, 2);
    mesh.start("w", 0, Set.of("s"), 0, o -> o.cluster(o.cluster().roles(Set.of("gateway", "producer"))));
    mesh.start("r", 1, Set.of("s"), 0, o -> o.cluster(o.cluster().roles(Set.of("gateway", "consumer"))));
    TestNodes.create(mesh.admin("r"), namespace);
    await().atMost(Duration.ofSeconds(20)).until(() -> owners(mesh.cluster("r"), "s", "producers").equals(List.of("w"))
        && owners(mesh.cluster("r"), "s", "consumers").equals(List.of("r")));
  }

  /**
   * A delete without force is decided on the node that takes the namespace's writes: only it can stop them before the
   * entries are counted, so that no write is acknowledged between the count and the delete. With the producer and
   * the consumer on different nodes, a delete sent to the consumer's node goes to the producer's (it counted on the
   * consumer's node, where stopping writes stops nothing); one that reaches the consumer's node as a forwarded call
   * (as while a shard's owners change) is refused, naming the node that takes the writes.
   */
  @Test
  void aDeleteIsDecidedOnTheNodeThatTakesTheNamespacesWrites() throws Exception {
    splitRoles(sqsNamespace("split", "s"));
    GrpcWriteClient viaW = new GrpcWriteClient(client, "127.0.0.1", mesh.grpcPort("w"));
    try {
      sink.respond(received -> 503); // the target refuses: the entries stay stored
      await().atMost(Duration.ofSeconds(20)).until(() -> TestNodes.write(viaW, request("split", "held").build())
          .response().getDurable() == Trilean.SUCCESS);

      AdminHttp.Response refused = mesh.admin("r").call("DELETE", "/v1/namespaces/split", null);
      assertThat(refused.status()).as(refused.text()).isEqualTo(409);
      assertThat(refused.text()).contains("still holds");
      assertThat(refused.header("Walmesh-Forwarded-By")).as("answered by the node that takes the writes").isEqualTo("w");

      java.net.http.HttpResponse<String> atConsumer = java.net.http.HttpClient.newHttpClient().send(
          java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + mesh.node("r").adminPort()
              + "/v1/namespaces/split")).DELETE().header("Walmesh-Forwarded-By", "w").build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(atConsumer.statusCode()).as(atConsumer.body()).isEqualTo(409);
      assertThat(atConsumer.body()).contains("this node (r) only delivers it and node w takes its writes");

      sink.respond(received -> 200);
      await().atMost(Duration.ofSeconds(30)).until(() -> sink.deliveredBodies().contains("held"));
      await().atMost(Duration.ofSeconds(30)).until(() ->
          mesh.admin("r").call("DELETE", "/v1/namespaces/split", null).status() == 200);
      await().atMost(Duration.ofSeconds(10)).until(() -> TestNodes.write(viaW, request("split", "after").build())
          .status() == io.vertx.grpc.common.GrpcStatus.NOT_FOUND);
    } finally {
      viaW.close();
    }
  }

  /**
   * A namespace document is replaced only while it is still the one a change was checked against. A change checked on
   * one node against a document another node replaced meanwhile (its view is a moment behind) is refused rather than
   * stored over it: it would undo that node's change, a move of the entries among them, and give the old place back
   * its writes, which nothing would deliver. One checked against a document deleted meanwhile does not bring it back.
   */
  @Test
  void aChangeCheckedAgainstADocumentAnotherNodeReplacedIsRefusedRatherThanStoredOverIt() {
    mesh = new EmbeddedMesh(dir, 2);
    Node a = mesh.start("a", 0, Set.of("s"));
    Node b = mesh.start("b", 1, Set.of("s"));
    TestNodes.create(mesh.admin("a"), sqsNamespace("checked", "s"));
    await().atMost(Duration.ofSeconds(20)).until(() -> b.namespaces().status("checked").isPresent());
    NamespaceConfig before = b.namespaces().status("checked").orElseThrow().config();
    String checked = before.version();
    java.util.function.Predicate<String> stillChecked = json -> NamespaceConfig.parse(json).version().equals(checked);
    JsonObject changed = before.toJson().put("dedupe-window-ms", 60_000);
    JsonObject stale = before.toJson().put("max-payload-bytes", 4096);

    assertThat(await(a.cluster().replaceIf("checked", stillChecked, changed.encode()))).isTrue();
    assertThat(await(b.cluster().replaceIf("checked", stillChecked, stale.encode())))
        .as("checked against the document a replaced").isFalse();
    await().atMost(Duration.ofSeconds(20)).until(() -> b.namespaces().status("checked").orElseThrow().config()
        .dedupeWindow().toMillis() == 60_000);
    assertThat(mesh.admin("b").get("/v1/namespaces/checked").body().getJsonObject("config")
        .getInteger("max-payload-bytes")).as("the stale change was not stored").isNotEqualTo(4096);

    AdminHttp.Response deleted = mesh.admin("a").call("DELETE", "/v1/namespaces/checked", null);
    assertThat(deleted.status()).as(deleted.text()).isEqualTo(200);
    assertThat(await(b.cluster().replaceIf("checked", json -> true, stale.encode())))
        .as("a deleted document is not brought back").isFalse();
    await().atMost(Duration.ofSeconds(20)).until(() -> mesh.admin("b").get("/v1/namespaces/checked").status() == 404);
    assertThat(await(a.cluster().documents())).doesNotContainKey("checked");
  }

  /**
   * A namespace whose store is destroyed after its document is removed (other nodes read it until they hear of the
   * removal) cannot be created again under its name until the store is gone: a namespace created on the same topics or
   * queues meanwhile would be destroyed with them, its acknowledged writes too. The create says why and for how long.
   */
  @Test
  void aNameIsNotCreatedAgainWhileTheDeletedNamespacesStoreIsBeingDestroyed() {
    mesh = new EmbeddedMesh(dir, 2);
    Node a = mesh.start("a", 0, Set.of("s"));
    mesh.start("b", 1, Set.of("s"));
    JsonObject guarded = sqsNamespace("guarded", "s");
    TestNodes.create(mesh.admin("a"), guarded);
    await(a.cluster().removeBeforeDestroy("guarded", 60_000)); // as a delete does before it destroys the queues
    await().atMost(Duration.ofSeconds(20)).until(() -> mesh.admin("b").get("/v1/namespaces/guarded").status() == 404);

    AdminHttp.Response refused = mesh.admin("b").post("/v1/namespaces", guarded);
    assertThat(refused.status()).as(refused.text()).isEqualTo(409);
    assertThat(refused.body().getString("error")).contains("namespace guarded was deleted and its stored entries are"
        + " still being destroyed").contains("s more");

    await(a.cluster().destroyed("guarded"));
    AdminHttp.Response created = mesh.admin("b").post("/v1/namespaces", guarded);
    assertThat(created.status()).as(created.text()).isEqualTo(201);
  }

  /**
   * A namespace no live node runs (its shard's only node stopped) cannot be counted, so a delete needs force=true; the
   * forced delete from another node takes its queue with it: a namespace created again on the same queue does not
   * inherit the deleted one's entries. A local namespace's log is on its home node's disk: that node deletes it when
   * it comes back, so the same holds for a local namespace created again there.
   */
  @Test
  void aForcedDeleteOfANamespaceNoNodeRunsDeletesItsQueueAndItsHomeNodeItsLog() {
    mesh = new EmbeddedMesh(dir, 2);
    mesh.start("a", 0, Set.of("s"));
    mesh.start("b", 1, Set.of("t"));
    JsonObject orphan = sqsNamespace("orphan", "s");
    TestNodes.create(mesh.admin("b"), orphan);
    JsonObject pinned = TestNodes.namespace("pinned", sink.url("/pinned")); // local: its log is on a's disk
    TestNodes.create(mesh.admin("a"), pinned);
    await().atMost(Duration.ofSeconds(20)).until(() -> owners(mesh.cluster("b"), "s").equals(List.of("a")));
    GrpcWriteClient viaB = new GrpcWriteClient(client, "127.0.0.1", mesh.grpcPort("b"));
    try {
      sink.respond(received -> 503); // the target refuses: the entries stay stored
      await().atMost(Duration.ofSeconds(20)).until(() -> TestNodes.write(viaB, request("orphan", "left behind").build())
          .response().getDurable() == Trilean.SUCCESS);
      assertThat(TestNodes.write(viaB, request("pinned", "left on a's disk").build()).response().getDurable())
          .isEqualTo(Trilean.SUCCESS);
      mesh.stop("a");
      await().atMost(Duration.ofSeconds(20)).until(() -> owners(mesh.cluster("b"), "s").isEmpty());

      AdminHttp.Response refused = mesh.admin("b").call("DELETE", "/v1/namespaces/orphan", null);
      assertThat(refused.status()).as(refused.text()).isEqualTo(409);
      assertThat(refused.text()).contains("is not running on any node").contains("force=true");
      AdminHttp.Response forced = mesh.admin("b").call("DELETE", "/v1/namespaces/orphan?force=true", null);
      assertThat(forced.status()).as(forced.text()).isEqualTo(200);
      await("a leaves the mesh: its pinned namespace runs nowhere").atMost(Duration.ofSeconds(20)).until(() ->
          mesh.admin("b").call("DELETE", "/v1/namespaces/pinned?force=true", null).status() == 200);

      sink.respond(received -> 200);
      TestNodes.create(mesh.admin("b"), orphan.copy().put("shard", "t")); // the same queue, on a shard b runs
      await().atMost(Duration.ofSeconds(20)).until(() -> "running".equals(
          mesh.admin("b").get("/v1/namespaces/orphan").body().getString("state")));
      assertThat(mesh.admin("b").get("/v1/namespaces/orphan").body().getJsonObject("stats").getLong("pending"))
          .as("the queue created again holds nothing of the deleted namespace").isZero();
      assertThat(TestNodes.write(viaB, request("orphan", "new").build()).response().getDurable()).isEqualTo(Trilean.SUCCESS);
      await().atMost(Duration.ofSeconds(20)).until(() -> sink.deliveredBodies().contains("new"));
      assertThat(sink.deliveredBodies()).doesNotContain("left behind");

      mesh.start("a", 0, Set.of("s"));
      TestNodes.create(mesh.admin("a"), pinned);
      assertThat(mesh.admin("a").get("/v1/namespaces/pinned").body().getJsonObject("stats").getLong("pending"))
          .as("the log created again on a holds nothing of the deleted namespace").isZero();
      assertThat(TestNodes.write(viaB, request("pinned", "new on a").build()).response().getDurable())
          .isEqualTo(Trilean.SUCCESS);
      await().atMost(Duration.ofSeconds(20)).until(() -> sink.deliveredBodies().contains("new on a"));
      assertThat(sink.deliveredBodies()).doesNotContain("left on a's disk");
    } finally {
      viaB.close();
    }
  }

  /**
   * With a namespace's producer and consumer on different nodes, a delete decided on the producer's node is counted on
   * the consumer's node too: on SQS only the node that sent to a queue knows its counts may still miss that send
   * ({@code counts-lag-secs}), and the consumer's node sends the dead-letter moves. Here the producer's own last send
   * is older than the lag, so its count alone would let the delete through a moment after the consumer's node moved an
   * entry (on Amazon SQS, with the counts not showing that entry yet).
   */
  @Test
  void aDeleteRightAfterTheDeliveringNodeSentWaitsOutThatNodesCountsLag() {
    JsonObject ns = sqsNamespace("lagged", "s");
    // w's own send (the write) is older than the lag when r moves the entry 20 s later; r's move is not, for 15 s
    ns.getJsonObject("retry").put("max-attempts", 2).put("initial-backoff-ms", 20_000).put("max-backoff-ms", 20_000)
        .put("multiplier", 1.0);
    ns.getJsonObject("backend").getJsonObject("config").put("counts-lag-secs", 15);
    splitRoles(ns);
    GrpcWriteClient viaW = new GrpcWriteClient(client, "127.0.0.1", mesh.grpcPort("w"));
    try {
      sink.respond(received -> 503); // both attempts fail: r moves the entry to the DLQ 20 s after the write
      await().atMost(Duration.ofSeconds(20)).until(() -> TestNodes.write(viaW, request("lagged", "dead-lettered").build())
          .response().getDurable() == Trilean.SUCCESS);
      await().atMost(Duration.ofSeconds(50)).pollInterval(Duration.ofMillis(200)).until(() ->
          mesh.admin("w").get("/v1/namespaces/lagged").body().getJsonObject("stats").getLong("dead-letters") == 1);
      AdminHttp.Response purged = mesh.admin("w").call("POST", "/v1/namespaces/lagged/dlq/purge", null);
      assertThat(purged.status()).as(purged.text()).isEqualTo(200);

      AdminHttp.Response refused = mesh.admin("w").call("DELETE", "/v1/namespaces/lagged", null);
      assertThat(refused.status()).as(refused.text()).isEqualTo(409);
      assertThat(refused.text()).contains("node r, which delivers it, could not count it").contains("counts-lag-secs")
          .contains("retry in");
      await("the consumer's lag passes").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).until(() ->
          mesh.admin("w").call("DELETE", "/v1/namespaces/lagged", null).status() == 200);
    } finally {
      viaW.close();
    }
  }

  /**
   * A Kafka namespace deleted on the node that takes its writes while another node delivers it: the delivering node
   * stops, and its topics and consumer groups are deleted rather than left behind (Kafka does not delete a group that
   * still has members, and a consumer still polling could create a deleted topic again).
   */
  @Test
  void aKafkaNamespaceDeliveredElsewhereIsDeletedWithItsTopicsAndGroups() throws Exception {
    try (io.walmesh.testkit.KafkaBroker kafka = io.walmesh.testkit.KafkaBroker.start(dir.resolve("kafka"));
         org.apache.kafka.clients.admin.Admin kafkaAdmin = org.apache.kafka.clients.admin.Admin.create(
             Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      JsonObject ns = TestNodes.namespace("kdel", sink.url("/kdel")).put("shard", "s").put("backend", new JsonObject()
          .put("type", "kafka").put("config", new JsonObject().put("bootstrap-servers", kafka.bootstrapServers())
              .put("wal-kafka-topic", "walmesh-kdel").put("partitions", 2).put("delay-tiers-secs", new JsonArray().add(2))));
      ns.getJsonObject("retry").put("max-attempts", 1);
      splitRoles(ns);
      sink.respond(received -> received.body().equals("dead") ? 503 : 200);
      GrpcWriteClient viaW = new GrpcWriteClient(client, "127.0.0.1", mesh.grpcPort("w"));
      try {
        await().atMost(Duration.ofSeconds(30)).until(() -> TestNodes.write(viaW, request("kdel", "delivered").build())
            .response().getDurable() == Trilean.SUCCESS);
        await().atMost(Duration.ofSeconds(30)).until(() -> sink.deliveredBodies().contains("delivered"));
        // the node that delivers it dead-letters an entry; the node that takes its writes counts it for the delete
        assertThat(TestNodes.write(viaW, request("kdel", "dead").build()).response().getDurable()).isEqualTo(Trilean.SUCCESS);
        await().atMost(Duration.ofSeconds(30)).until(() -> mesh.admin("r").get("/v1/namespaces/kdel").body()
            .getJsonObject("stats").getLong("dead-letters") == 1);
        AdminHttp.Response refused = mesh.admin("r").call("DELETE", "/v1/namespaces/kdel", null);
        assertThat(refused.status()).as(refused.text()).isEqualTo(409);
        assertThat(refused.text()).contains("1 dead-lettered");
        assertThat(mesh.admin("r").post("/v1/namespaces/kdel/dlq/purge", new JsonObject()).status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
            .until(() -> mesh.admin("r").call("DELETE", "/v1/namespaces/kdel", null).status() == 200);
      } finally {
        viaW.close();
      }
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        assertThat(kafkaAdmin.listTopics().names().get()).as("topics left").noneMatch(t -> t.startsWith("walmesh-kdel"));
        assertThat(kafkaAdmin.listConsumerGroups().all().get()).as("consumer groups left")
            .noneMatch(g -> g.groupId().contains("kdel"));
      });
    }
  }

  @Test
  void writesSentToNode1ForANamespaceOwnedByNode3AreStoredAndDelivered() {
    mesh = new EmbeddedMesh(dir, 3);
    mesh.start("n1", 0, Set.of("a"));
    mesh.start("n2", 1, Set.of("b"));
    mesh.start("n3", 2, Set.of("c"));
    TestNodes.create(mesh.admin("n1"), sqsNamespace("orders", "c"));
    await().atMost(Duration.ofSeconds(20)).until(() -> owners(mesh.cluster("n1"), "c").equals(List.of("n3")));

    GrpcWriteClient viaN1 = new GrpcWriteClient(client, "127.0.0.1", mesh.grpcPort("n1"));
    try {
      GrpcWriteClient.Result result = TestNodes.write(viaN1, request("orders", "routed to n3").setKey("k").build());
      assertThat(result.response().getDurable()).as(result.toString()).isEqualTo(Trilean.SUCCESS);
      await().atMost(Duration.ofSeconds(20)).until(() -> sink.deliveredBodies().contains("routed to n3"));

      AdminHttp.Response status = mesh.admin("n1").get("/v1/namespaces/orders");
      assertThat(status.status()).isEqualTo(200);
      assertThat(status.body().getString("state")).as("answered by the node that runs it").isEqualTo("running");

      JsonObject cluster = mesh.cluster("n2");
      assertThat(cluster.getString("mode")).isEqualTo("mesh");
      assertThat(cluster.getJsonArray("nodes")).hasSize(3);
      assertThat(cluster.getLong("generation")).isGreaterThanOrEqualTo(1L);
      assertThat(cluster.getString("leader")).isEqualTo("n1");

      // a local-backend namespace lives on the disk of the node that created it: it is pinned there
      TestNodes.create(mesh.admin("n2"), TestNodes.namespace("pinned", sink.url("/pinned")));
      assertThat(mesh.admin("n3").get("/v1/namespaces/pinned").body().getJsonObject("config").getString("home-node"))
          .isEqualTo("n2");
      assertThat(TestNodes.write(viaN1, request("pinned", "to n2's log").build()).response().getDurable())
          .isEqualTo(Trilean.SUCCESS);
      await().atMost(Duration.ofSeconds(20)).until(() -> sink.deliveredBodies().contains("to n2's log"));

      // a batch call to n1 whose writes are owned by n3 and n2, and one for no namespace: each answered in its place
      GrpcWriteClient.BatchResult batch = TestNodes.await(viaN1.writeBatch(io.walmesh.protocol.v1.WriteToLogBatchRequest
          .newBuilder().addRequests(request("orders", "batched to n3")).addRequests(request("pinned", "batched to n2"))
          .addRequests(request("nowhere", "no such namespace")).addRequests(request("orders", "batched to n3 again"))
          .build(), 10_000));
      assertThat(batch.response().getResultsList()).extracting(r -> r.getStatusCode()).as(batch.toString())
          .containsExactly(0, 0, io.vertx.grpc.common.GrpcStatus.NOT_FOUND.code, 0);
      assertThat(batch.response().getResultsList()).extracting(r -> r.getResponse().getDurable())
          .containsExactly(Trilean.SUCCESS, Trilean.SUCCESS, Trilean.TRILEAN_UNSPECIFIED, Trilean.SUCCESS);
      await().atMost(Duration.ofSeconds(20)).until(() -> sink.deliveredBodies().containsAll(
          List.of("batched to n3", "batched to n2", "batched to n3 again")));

      mesh.stop("n2");
      await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
        GrpcWriteClient.Result unavailable = TestNodes.write(viaN1, request("pinned", "n2 is gone").build());
        assertThat(unavailable.status()).isEqualTo(io.vertx.grpc.common.GrpcStatus.UNAVAILABLE);
        assertThat(unavailable.statusMessage()).contains("local backend of node n2").contains("not in the mesh");
      });
      assertThat(sink.deliveredBodies()).doesNotContain("n2 is gone");
    } finally {
      viaN1.close();
    }
  }

  @Test
  void anAddedNodeReceivesShardsAndOnlyWhatMustMoveMoves() {
    mesh = new EmbeddedMesh(dir, 3);
    mesh.start("n1", 0, Set.of());
    mesh.start("n2", 1, Set.of());
    for (int i = 1; i <= 6; i++) {
      TestNodes.create(mesh.admin("n1"), sqsNamespace("ns" + i, "s" + i));
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> assigned(mesh.cluster("n1")).size() == 6);
    Map<String, String> before = assigned(mesh.cluster("n1"));
    long generation = mesh.cluster("n1").getLong("generation");

    // writers keep going through the move: every write is answered, every acknowledged one delivered
    GrpcWriteClient writer = new GrpcWriteClient(client, "127.0.0.1", mesh.grpcPort("n1"));
    Set<String> acked = ConcurrentHashMap.newKeySet();
    AtomicInteger refused = new AtomicInteger();
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger sequence = new AtomicInteger();
    List<Future<Void>> writers = new ArrayList<>();
    List<String> all = List.of("ns1", "ns2", "ns3", "ns4", "ns5", "ns6");
    for (int w = 0; w < 4; w++) {
      Promise<Void> done = Promise.promise();
      writeLoop(writer, all, running, sequence, acked, refused, done);
      writers.add(done.future());
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> acked.size() >= 50);

    mesh.start("n3", 2, Set.of());
    await().atMost(Duration.ofSeconds(20)).until(() -> assigned(mesh.cluster("n2")).containsValue("n3"));
    int ackedAtMove = acked.size();
    await().atMost(Duration.ofSeconds(30)).until(() -> acked.size() > ackedAtMove + 100);
    running.set(false);
    await(Future.join(writers).otherwiseEmpty());
    writer.close();
    await().atMost(Duration.ofSeconds(60)).until(() -> sink.deliveredBodies().containsAll(acked));
    Map<String, String> after = assigned(mesh.cluster("n2"));
    List<String> moved = new ArrayList<>();
    before.forEach((shard, owner) -> {
      if (!after.get(shard).equals(owner)) {
        moved.add(shard);
      }
    });
    assertThat(moved).as("6 shards over 3 nodes: n3 takes two, nothing else moves").hasSize(2);
    assertThat(moved).allSatisfy(shard -> assertThat(after.get(shard)).isEqualTo("n3"));
    assertThat(mesh.cluster("n3").getLong("generation")).isGreaterThan(generation);

    GrpcWriteClient viaN2 = new GrpcWriteClient(client, "127.0.0.1", mesh.grpcPort("n2"));
    try {
      for (int i = 1; i <= 6; i++) {
        String ns = "ns" + i;
        await().atMost(Duration.ofSeconds(20)).until(() ->
            TestNodes.write(viaN2, request(ns, "after the move " + ns).build()).response().getDurable() == Trilean.SUCCESS);
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        Set<String> bodies = sink.deliveredBodies();
        for (int i = 1; i <= 6; i++) {
          if (!bodies.contains("after the move ns" + i)) {
            return false;
          }
        }
        return true;
      });
    } finally {
      viaN2.close();
    }
  }

  private static Map<String, String> assigned(JsonObject cluster) {
    Map<String, String> owners = new HashMap<>();
    for (Object o : cluster.getJsonArray("shards")) {
      JsonObject s = (JsonObject) o;
      JsonArray producers = s.getJsonArray("producers");
      if (!producers.isEmpty()) {
        owners.put(s.getString("shard"), producers.getString(0));
      }
    }
    return owners;
  }

  @Test
  void aNodeKilledWhileWritersRunHasItsShardsMovedAndEveryAckedEntryIsDelivered() throws Exception {
    mesh = new EmbeddedMesh(dir, 2);
    mesh.start("n1", 0, Set.of());
    mesh.startChild("n2", 1, Set.of());
    List<String> namespaces = List.of("k1", "k2", "k3", "k4");
    for (String ns : namespaces) {
      TestNodes.create(mesh.admin("n1"), sqsNamespace(ns, "shard-" + ns));
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> assigned(mesh.cluster("n1")).containsValue("n2")
        && assigned(mesh.cluster("n1")).size() == 4);

    GrpcWriteClient viaN1 = new GrpcWriteClient(client, "127.0.0.1", mesh.grpcPort("n1"));
    Set<String> acked = ConcurrentHashMap.newKeySet();
    AtomicInteger refused = new AtomicInteger();
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger sequence = new AtomicInteger();
    List<Future<Void>> writers = new ArrayList<>();
    try {
      for (int w = 0; w < 8; w++) {
        Promise<Void> done = Promise.promise();
        writeLoop(viaN1, namespaces, running, sequence, acked, refused, done);
        writers.add(done.future());
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> acked.size() >= 200);
      mesh.kill("n2");
      int refusedAtKill = refused.get();
      await().atMost(Duration.ofSeconds(30)).until(() -> refused.get() > refusedAtKill);
      // after the member timeout and the failover delay, n1 owns every shard and takes every write
      await().atMost(Duration.ofSeconds(60)).until(() -> assigned(mesh.cluster("n1")).values().stream()
          .allMatch("n1"::equals));
      int ackedAfterMove = acked.size();
      await().atMost(Duration.ofSeconds(30)).until(() -> acked.size() > ackedAfterMove + 100);
      running.set(false);
      await(Future.join(writers).otherwiseEmpty());

      await().atMost(Duration.ofSeconds(90)).until(() -> sink.deliveredBodies().containsAll(acked));
      Set<String> missing = new HashSet<>(acked);
      missing.removeAll(sink.deliveredBodies());
      assertThat(missing).as("acknowledged entries lost with the killed node").isEmpty();
    } finally {
      running.set(false);
      viaN1.close();
    }
  }

  private static void writeLoop(GrpcWriteClient grpc, List<String> namespaces, AtomicBoolean running,
                                AtomicInteger sequence, Set<String> acked, AtomicInteger refused, Promise<Void> done) {
    if (!running.get()) {
      done.complete();
      return;
    }
    int n = sequence.incrementAndGet();
    String payload = "entry-" + n;
    grpc.write(request(namespaces.get(n % namespaces.size()), payload).build(), 5_000).onComplete(ar -> {
      if (ar.succeeded() && ar.result().ok() && ar.result().response().getDurable() == Trilean.SUCCESS) {
        acked.add(payload);
      } else {
        refused.incrementAndGet();
      }
      if (ar.failed() || !ar.result().ok()) {
        client.setTimer(50, id -> writeLoop(grpc, namespaces, running, sequence, acked, refused, done));
      } else {
        writeLoop(grpc, namespaces, running, sequence, acked, refused, done);
      }
    });
  }

  @Test
  void twoMeshesWithDifferentClusterNamesOnOneMachineDoNotMerge() {
    EmbeddedMesh x = new EmbeddedMesh(dir.resolve("x"), 2);
    mesh = x;
    x.start("x1", 0, Set.of());
    // y lists x's member address too: the cluster name alone keeps them apart
    try (EmbeddedMesh y = new EmbeddedMesh(dir.resolve("y"), "other-" + x.name(), 2)) {
      y.alsoList(x);
      y.start("y1", 0, Set.of());
      TestNodes.create(x.admin("x1"), sqsNamespace("only-in-x", "default"));
      assertThat(x.cluster("x1").getJsonArray("nodes")).hasSize(1);
      assertThat(y.cluster("y1").getJsonArray("nodes")).hasSize(1);
      assertThat(y.admin("y1").get("/v1/namespaces/only-in-x").status()).isEqualTo(404);
    }
  }
}
