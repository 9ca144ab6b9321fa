package io.walmesh.node;

import static io.walmesh.node.TestNodes.await;
import static io.walmesh.node.TestNodes.create;
import static io.walmesh.node.TestNodes.delayed;
import static io.walmesh.node.TestNodes.namespace;
import static io.walmesh.node.TestNodes.request;
import static io.walmesh.node.TestNodes.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import io.walmesh.node.gateway.GrpcWriteClient;
import io.walmesh.protocol.Addresses;
import io.walmesh.protocol.WriteFailure;
import io.walmesh.protocol.v1.Lifecycle;
import io.walmesh.protocol.v1.Target;
import io.walmesh.protocol.v1.Trilean;
import io.walmesh.protocol.v1.WriteToLogRequest;
import io.walmesh.protocol.v1.WriteToLogResponse;
import io.walmesh.testkit.HttpSink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The single-node guarantees of DESIGN.md §3, through a real gRPC client against a node in this
 * JVM, delivering to a real HTTP server.
 */
class WriteToLogTest extends SingleNodeTest {

  @Test
  void anAcknowledgedEntryIsDeliveredWithItsIdKeyAttemptAndHeaders() {
    create(admin, namespace("basic", sink.url("/apply")));
    GrpcWriteClient.Result result = write(grpc, request("basic", "set k1=v1").setKey("k1")
        .putHeaders("x-trace", "abc").setTarget(Target.newBuilder().setName("web").putAttributes("table", "t1")).build());

    assertThat(result.status()).isEqualTo(GrpcStatus.OK);
    assertThat(result.response().getDurable()).isEqualTo(Trilean.SUCCESS);
    String entryId = result.response().getEntryId();
    assertThat(entryId).isNotEmpty();
    await().atMost(Duration.ofSeconds(10)).until(() -> sink.delivered().size() == 1);
    HttpSink.Received received = sink.delivered().get(0);
    assertThat(received.entryId()).isEqualTo(entryId);
    assertThat(received.key()).isEqualTo("k1");
    assertThat(received.attempt()).isEqualTo(1);
    assertThat(received.body()).isEqualTo("set k1=v1");
    assertThat(received.writeTimeMs()).isPositive();
    assertThat(received.headers()).containsEntry("x-trace", "abc").containsEntry("walmesh-attr-table", "t1")
        .containsEntry("walmesh-namespace", "basic");
  }

  @Test
  void aDelayedEntryIsNeverDeliveredBeforeItsDueTime() {
    create(admin, namespace("delayed", sink.url("/apply")));
    long deliverAt = System.currentTimeMillis() + 1_200;
    List<Long> dueTimes = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      long before = System.currentTimeMillis();
      assertThat(write(grpc, delayed("delayed", "d" + i, 800 + i * 200L)).response().getDurable()).isEqualTo(Trilean.SUCCESS);
      dueTimes.add(before + 800 + i * 200L);
    }
    assertThat(write(grpc, request("delayed", "at").setLifecycle(Lifecycle.newBuilder().setDeliverAtMs(deliverAt)).build())
        .response().getDurable()).isEqualTo(Trilean.SUCCESS);
    long originalWrite = System.currentTimeMillis() - 500;
    assertThat(write(grpc, request("delayed", "replayed").setLifecycle(Lifecycle.newBuilder()
        .setWriteTimeMs(originalWrite).setDelayMs(1_500)).build()).response().getDurable()).isEqualTo(Trilean.SUCCESS);
    assertThat(write(grpc, request("delayed", "now").build()).response().getDurable()).isEqualTo(Trilean.SUCCESS);

    await().atMost(Duration.ofSeconds(10)).until(() -> sink.delivered().size() == 8);
    Map<String, Long> arrivals = new HashMap<>();
    sink.delivered().forEach(r -> arrivals.put(r.body(), r.receivedAtMs()));
    for (int i = 0; i < 5; i++) {
      assertThat(arrivals.get("d" + i)).as("d" + i + " arrival vs due").isGreaterThanOrEqualTo(dueTimes.get(i));
    }
    assertThat(arrivals.get("at")).isGreaterThanOrEqualTo(deliverAt);
    assertThat(arrivals.get("replayed")).as("delay counts from the given write time")
        .isGreaterThanOrEqualTo(originalWrite + 1_500).isLessThan(originalWrite + 1_500 + 5_000);
    assertThat(arrivals.get("now")).as("an undelayed entry is not held behind delayed ones").isLessThan(dueTimes.get(0));
  }

  @Test
  void aFailingTargetIsRetriedWithGrowingBackoffUntilItAccepts() {
    create(admin, namespace("retry", sink.url("/apply")));
    sink.respond(r -> r.attempt() <= 3 ? 503 : 200);
    String id = write(grpc, request("retry", "eventually").build()).response().getEntryId();

    await().atMost(Duration.ofSeconds(15)).until(() -> sink.deliveredIds().contains(id));
    List<HttpSink.Received> attempts = sink.received();
    assertThat(attempts).extracting(HttpSink.Received::attempt).containsExactly(1, 2, 3, 4);
    assertThat(attempts).allMatch(r -> r.entryId().equals(id));
    // backoff 100 ms, x2, no jitter: gaps of at least 100, 200, 400 ms
    long gap1 = attempts.get(1).receivedAtMs() - attempts.get(0).receivedAtMs();
    long gap2 = attempts.get(2).receivedAtMs() - attempts.get(1).receivedAtMs();
    long gap3 = attempts.get(3).receivedAtMs() - attempts.get(2).receivedAtMs();
    assertThat(gap1).isGreaterThanOrEqualTo(100);
    assertThat(gap2).isGreaterThanOrEqualTo(200);
    assertThat(gap3).isGreaterThanOrEqualTo(400);
  }

  @Test
  void afterTheLastAttemptTheEntryIsInTheDlqWhereItCanBeReplayedAndPurged() {
    JsonObject ns = namespace("dlq", sink.url("/apply"));
    ns.getJsonObject("retry").put("max-attempts", 3).put("initial-backoff-ms", 50);
    create(admin, ns);
    sink.respond(r -> 500);
    String first = write(grpc, request("dlq", "first").build()).response().getEntryId();
    String second = write(grpc, request("dlq", "second").build()).response().getEntryId();

    await().atMost(Duration.ofSeconds(10)).until(() -> dlq("dlq").size() == 2);
    JsonObject dead = dlq("dlq").stream().map(o -> (JsonObject) o).filter(o -> o.getString("entry-id").equals(first))
        .findFirst().orElseThrow();
    assertThat(dead.getInteger("attempts")).isEqualTo(3);
    assertThat(dead.getString("last-error")).contains("answered 500");
    assertThat(dead.getString("payload-utf8")).isEqualTo("first");
    assertThat(sink.received()).filteredOn(r -> r.entryId().equals(first)).hasSize(3);
    assertThat(admin.get("/v1/namespaces/dlq").body().getJsonObject("stats").getLong("dead-letters")).isEqualTo(2);

    sink.respond(r -> 200);
    AdminHttp.Response replay = admin.post("/v1/namespaces/dlq/dlq/replay", new JsonObject().put("entry-ids", new JsonArray().add(first)));
    assertThat(replay.body().getInteger("replayed")).isEqualTo(1);
    await().atMost(Duration.ofSeconds(10)).until(() -> sink.deliveredIds().contains(first));
    assertThat(sink.delivered().get(0).body()).isEqualTo("first");

    AdminHttp.Response purge = admin.post("/v1/namespaces/dlq/dlq/purge", new JsonObject());
    assertThat(purge.body().getInteger("purged")).isEqualTo(1);
    assertThat(dlq("dlq")).isEmpty();
    assertThat(sink.deliveredIds()).doesNotContain(second);
  }

  /** A DLQ listing holds at most 4 MiB of payloads, and says how many more the DLQ holds. */
  @Test
  void aDlqListingOfLargePayloadsStopsAtItsByteLimitAndSaysHowManyMore() {
    JsonObject ns = namespace("dlq-large", sink.url("/large"));
    ns.getJsonObject("retry").put("max-attempts", 1);
    create(admin, ns);
    sink.respond(r -> r.path().equals("/large") ? 500 : 200);
    String large = "y".repeat(900_000);
    for (int i = 0; i < 6; i++) {
      write(grpc, request("dlq-large", large).build());
    }
    await().atMost(Duration.ofSeconds(20)).until(() ->
        admin.get("/v1/namespaces/dlq-large").body().getJsonObject("stats").getLong("dead-letters") == 6);

    JsonObject listed = admin.get("/v1/namespaces/dlq-large/dlq?limit=100").body();
    assertThat(listed.getJsonArray("entries")).as("the fifth takes it past 4 MiB").hasSize(5);
    assertThat(listed.getLong("more")).isEqualTo(1);
    assertThat(listed.getString("note")).contains("at most 4194304 bytes of payloads", "by entry id");
  }

  @Test
  void aTargetThatNeverAnswersTimesOutAndIsRetried() {
    io.vertx.core.http.HttpServer silent = await(clientVertx.createHttpServer()
        .requestHandler(request -> { /* accepts, never answers */ }).listen(0, "127.0.0.1"));
    try {
      JsonObject ns = namespace("silent", "http://127.0.0.1:" + silent.actualPort() + "/x");
      ns.getJsonArray("targets").getJsonObject(0).getJsonObject("config").put("timeout-ms", 300);
      ns.getJsonObject("retry").put("max-attempts", 2).put("initial-backoff-ms", 50);
      create(admin, ns);
      write(grpc, request("silent", "into the void").build());

      await().atMost(Duration.ofSeconds(10)).until(() -> dlq("silent").size() == 1);
      assertThat(dlq("silent").getJsonObject(0).getString("last-error")).contains("did not answer within 300 ms");
      assertThat(dlq("silent").getJsonObject(0).getInteger("attempts")).isEqualTo(2);
    } finally {
      silent.close();
    }
  }

  @Test
  void aPermanentErrorSendsTheEntryStraightToTheDlq() {
    create(admin, namespace("permanent", sink.url("/apply")));
    sink.respond(r -> 422);
    String id = write(grpc, request("permanent", "bad mutation").build()).response().getEntryId();

    await().atMost(Duration.ofSeconds(10)).until(() -> dlq("permanent").size() == 1);
    assertThat(dlq("permanent").getJsonObject(0).getInteger("attempts")).isEqualTo(1);
    assertThat(dlq("permanent").getJsonObject(0).getString("entry-id")).isEqualTo(id);
    assertThat(sink.received()).hasSize(1);
  }

  @Test
  void perKeyOrderHoldsAcrossRetriesAndAFailingKeyDoesNotBlockOthers() {
    JsonObject ns = namespace("ordered", sink.url("/apply")).put("ordering", "per-key");
    ns.getJsonObject("retry").put("max-attempts", 20);
    create(admin, ns);
    AtomicInteger a0Failures = new AtomicInteger();
    // a-0 fails three times: a-1..a-9 must wait behind it, b-* must not
    sink.respond(r -> r.body().equals("a-0") && a0Failures.incrementAndGet() <= 3 ? 503 : 200);
    for (int i = 0; i < 10; i++) {
      assertThat(write(grpc, request("ordered", "a-" + i).setKey("a").build()).response().getDurable()).isEqualTo(Trilean.SUCCESS);
      assertThat(write(grpc, request("ordered", "b-" + i).setKey("b").build()).response().getDurable()).isEqualTo(Trilean.SUCCESS);
    }

    await().atMost(Duration.ofSeconds(15)).until(() -> sink.delivered().size() == 20);
    List<String> delivered = sink.delivered().stream().map(HttpSink.Received::body).toList();
    List<String> aOrder = delivered.stream().filter(b -> b.startsWith("a-")).toList();
    List<String> bOrder = delivered.stream().filter(b -> b.startsWith("b-")).toList();
    assertThat(aOrder).containsExactly("a-0", "a-1", "a-2", "a-3", "a-4", "a-5", "a-6", "a-7", "a-8", "a-9");
    assertThat(bOrder).containsExactly("b-0", "b-1", "b-2", "b-3", "b-4", "b-5", "b-6", "b-7", "b-8", "b-9");
    assertThat(delivered.indexOf("b-9")).as("key b is not held back by key a's failures").isLessThan(delivered.indexOf("a-0"));
  }

  @Test
  void aRetriedWriteWithTheSameIdempotencyKeyIsStoredOnce() {
    create(admin, namespace("idempotent", sink.url("/apply")));
    WriteToLogRequest req = request("idempotent", "charge order 42").setIdempotencyKey("order-42").build();
    List<Future<GrpcWriteClient.Result>> concurrent = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      concurrent.add(grpc.write(req, 10_000));
    }
    await(Future.all(concurrent));
    String id = write(grpc, req).response().getEntryId();
    assertThat(concurrent).allSatisfy(f -> assertThat(f.result().response().getEntryId()).isEqualTo(id));
    String other = write(grpc, request("idempotent", "charge order 43").setIdempotencyKey("order-43").build())
        .response().getEntryId();
    assertThat(other).isNotEqualTo(id);

    await().atMost(Duration.ofSeconds(10)).until(() -> sink.delivered().size() == 2);
    await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> sink.delivered().size() == 2);
    assertThat(sink.delivered()).extracting(HttpSink.Received::body)
        .containsExactlyInAnyOrder("charge order 42", "charge order 43");
  }

  @Test
  void badInputIsRefusedWithTheRightStatusAndStoresNothing() {
    JsonObject ns = namespace("strict", sink.url("/apply")).put("max-payload-bytes", 1024);
    create(admin, ns);

    assertRefused(request("", "x").build(), GrpcStatus.INVALID_ARGUMENT, "namespace is required");
    assertRefused(request("no-such-namespace", "x").build(), GrpcStatus.NOT_FOUND, "no-such-namespace");
    assertRefused(request("strict", "x".repeat(1025)).build(), GrpcStatus.INVALID_ARGUMENT, "max-payload-bytes");
    assertRefused(request("strict", "x").setLifecycle(Lifecycle.newBuilder().setDelayMs(10).setDeliverAtMs(99)).build(),
        GrpcStatus.INVALID_ARGUMENT, "not both");
    assertRefused(request("strict", "x").setLifecycle(Lifecycle.newBuilder().setDelayMs(-1)).build(),
        GrpcStatus.INVALID_ARGUMENT, "delay_ms");
    assertRefused(request("strict", "x").setTarget(Target.newBuilder().setName("nope")).build(),
        GrpcStatus.INVALID_ARGUMENT, "target.name \"nope\"");

    assertThat(write(grpc, request("strict", "x".repeat(1024)).build()).response().getDurable()).isEqualTo(Trilean.SUCCESS);
    await().atMost(Duration.ofSeconds(10)).until(() -> sink.delivered().size() == 1);
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> sink.received().size() == 1);
    assertThat(admin.get("/v1/namespaces/strict").body().getJsonObject("stats").getLong("pending")).isZero();
  }

  private void assertRefused(WriteToLogRequest request, GrpcStatus status, String messagePart) {
    GrpcWriteClient.Result result = write(grpc, request);
    assertThat(result.status()).as(result.statusMessage()).isEqualTo(status);
    assertThat(result.statusMessage()).contains(messagePart);
  }

  @Test
  void writesBeyondTheInFlightBoundAreShedAndEveryAcceptedOneIsDelivered() {
    create(admin, namespace("bounded", sink.url("/apply")).put("max-in-flight-writes", 2));
    List<Future<GrpcWriteClient.Result>> writes = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      writes.add(grpc.write(request("bounded", "w" + i).build(), 10_000));
    }
    await(Future.join(writes));
    List<String> accepted = new ArrayList<>();
    int shed = 0;
    for (int i = 0; i < writes.size(); i++) {
      GrpcWriteClient.Result r = writes.get(i).result();
      if (r.status() == GrpcStatus.RESOURCE_EXHAUSTED) {
        assertThat(r.statusMessage()).contains("max-in-flight-writes");
        shed++;
      } else {
        assertThat(r.response().getDurable()).isEqualTo(Trilean.SUCCESS);
        accepted.add("w" + i);
      }
    }
    assertThat(shed).as("some writes are shed").isPositive();
    assertThat(accepted).as("some writes are accepted").isNotEmpty();
    await().atMost(Duration.ofSeconds(15)).until(() -> sink.deliveredBodies().containsAll(accepted));
    assertThat(sink.deliveredBodies()).hasSameSizeAs(accepted);
  }

  @Test
  void anEntryIsDeliveredOnceToEachTargetEvenWhenAnotherTargetRetries() {
    HttpSink second = new HttpSink(clientVertx).start();
    try {
      JsonObject ns = namespace("fanout", sink.url("/a"));
      ns.getJsonArray("targets").add(TestNodes.httpTarget("other", second.url("/b")));
      create(admin, ns);
      second.respond(r -> r.attempt() <= 2 ? 500 : 200);
      String id = write(grpc, request("fanout", "both").build()).response().getEntryId();

      await().atMost(Duration.ofSeconds(10)).until(() -> second.deliveredIds().contains(id));
      assertThat(second.received()).hasSize(3);
      assertThat(sink.received()).as("the target that accepted is not called again").hasSize(1);
    } finally {
      second.close();
    }
  }

  @Test
  void aBatchIsAnsweredEntryByEntryInOrder() {
    create(admin, namespace("batched", sink.url("/apply")).put("max-payload-bytes", 100));
    io.walmesh.protocol.v1.WriteToLogBatchRequest.Builder batch = io.walmesh.protocol.v1.WriteToLogBatchRequest.newBuilder();
    for (int i = 0; i < 50; i++) {
      batch.addRequests(request("batched", "b" + i).build());
    }
    batch.addRequests(request("batched", "x".repeat(101)).build());
    batch.addRequests(request("nowhere", "y").build());
    GrpcWriteClient.BatchResult result = await(grpc.writeBatch(batch.build(), 10_000));

    assertThat(result.status()).isEqualTo(GrpcStatus.OK);
    List<io.walmesh.protocol.v1.WriteToLogBatchResult> results = result.response().getResultsList();
    assertThat(results).hasSize(52);
    assertThat(results.subList(0, 50)).allSatisfy(r -> {
      assertThat(r.getStatusCode()).isZero();
      assertThat(r.getResponse().getDurable()).isEqualTo(Trilean.SUCCESS);
    });
    assertThat(results.get(50).getStatusCode()).isEqualTo(GrpcStatus.INVALID_ARGUMENT.code);
    assertThat(results.get(50).getStatusMessage()).contains("max-payload-bytes");
    assertThat(results.get(51).getStatusCode()).isEqualTo(GrpcStatus.NOT_FOUND.code);
    await().atMost(Duration.ofSeconds(10)).until(() -> sink.deliveredBodies().size() == 50);

    io.walmesh.protocol.v1.WriteToLogBatchRequest.Builder tooBig = io.walmesh.protocol.v1.WriteToLogBatchRequest.newBuilder();
    for (int i = 0; i < 1001; i++) {
      tooBig.addRequests(request("batched", "z").build());
    }
    GrpcWriteClient.BatchResult refused = await(grpc.writeBatch(tooBig.build(), 10_000));
    assertThat(refused.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
    assertThat(refused.statusMessage()).contains("at most 1000");
  }

  @Test
  void aBatchOverTwoNamespacesAnswersEachWriteInItsPlaceAndKeepsEachKeysOrder() {
    // the writes of one call for a producer on this node go to it together: each must still get its own answer
    create(admin, namespace("mix-a", sink.url("/mix-a")).put("max-payload-bytes", 100).put("ordering", "per-key"));
    create(admin, namespace("mix-b", sink.url("/mix-b")).put("max-payload-bytes", 200).put("ordering", "per-key"));
    io.walmesh.protocol.v1.WriteToLogBatchRequest.Builder batch = io.walmesh.protocol.v1.WriteToLogBatchRequest.newBuilder();
    for (int i = 0; i < 40; i++) {
      String namespace = i % 2 == 0 ? "mix-a" : "mix-b";
      String payload = i == 10 || i == 11 ? "w" + i + "-" + "x".repeat(150) : namespace + "-" + i;
      WriteToLogRequest.Builder write = request(namespace, payload).setKey("k" + (i % 3));
      if (i == 20 || i == 30) {
        write.setIdempotencyKey("same-request");
      }
      batch.addRequests(write);
    }
    GrpcWriteClient.BatchResult result = await(grpc.writeBatch(batch.build(), 10_000));

    assertThat(result.status()).isEqualTo(GrpcStatus.OK);
    List<io.walmesh.protocol.v1.WriteToLogBatchResult> results = result.response().getResultsList();
    assertThat(results).hasSize(40);
    assertThat(results.get(10).getStatusCode()).as("150 bytes are over mix-a's limit")
        .isEqualTo(GrpcStatus.INVALID_ARGUMENT.code);
    assertThat(results.get(10).getStatusMessage()).contains("max-payload-bytes");
    assertThat(results.get(11).getStatusCode()).as("and within mix-b's").isZero();
    assertThat(results.get(30).getResponse().getEntryId()).as("the repeated idempotency key answers the first id")
        .isEqualTo(results.get(20).getResponse().getEntryId());
    java.util.Set<String> ids = new java.util.HashSet<>();
    for (int i = 0; i < 40; i++) {
      if (i != 10) {
        assertThat(results.get(i).getStatusCode()).as("write %d", i).isZero();
        assertThat(results.get(i).getResponse().getDurable()).as("write %d", i).isEqualTo(Trilean.SUCCESS);
        ids.add(results.get(i).getResponse().getEntryId());
      }
    }
    assertThat(ids).as("every stored write has an id of its own; the repeat has the first's").hasSize(38);

    await().atMost(Duration.ofSeconds(15)).until(() -> sink.delivered().stream()
        .filter(r -> r.path().startsWith("/mix-")).count() == 38);
    java.util.Map<String, List<String>> byKey = new java.util.TreeMap<>();
    for (HttpSink.Received received : sink.delivered()) {
      if (received.path().startsWith("/mix-")) {
        byKey.computeIfAbsent(received.path() + " " + received.key(), k -> new java.util.ArrayList<>())
            .add(received.body());
      }
    }
    for (int i = 0; i < 40; i++) {
      String namespace = i % 2 == 0 ? "mix-a" : "mix-b";
      String delivered = i == 11 ? "w11-" + "x".repeat(150) : namespace + "-" + i;
      if (i != 10 && i != 30) {
        assertThat(byKey.get("/" + namespace + " k" + (i % 3))).as("write %d is delivered once, to its namespace", i)
            .containsOnlyOnce(delivered);
      }
    }
    byKey.forEach((path, bodies) -> {
      List<Integer> order = bodies.stream().map(b -> Integer.parseInt(b.replaceAll("^(mix-[ab]-|w)(\\d+).*$", "$2")))
          .toList();
      assertThat(order).as("%s is delivered in the order of the batch", path).isSorted();
    });
  }

  /**
   * The producer of a local namespace takes the gateway's writes on the gateway's event loops, several at once, and an
   * update stops it and starts another. Whatever a stop meets, each write gets one answer (stored, or refused as
   * having no owner), every write answered SUCCESS is delivered, and no stop waits for a write it already counted out.
   */
  @Test
  void updatesWhileWritersOnSeveralConnectionsRunAnswerEveryWriteAndDeliverEveryAcknowledgedOne() throws Exception {
    create(admin, namespace("churn", sink.url("/apply")));
    List<GrpcWriteClient> clients = new ArrayList<>();
    for (int c = 0; c < 4; c++) { // a connection each: the node's gateway instances take them in turn
      clients.add(new GrpcWriteClient(clientVertx, "127.0.0.1", node.grpcPort()));
    }
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    Map<String, Integer> refusals = new ConcurrentHashMap<>();
    List<String> unexpected = new CopyOnWriteArrayList<>();
    AtomicBoolean writing = new AtomicBoolean(true);
    ExecutorService writers = Executors.newFixedThreadPool(8);
    List<java.util.concurrent.Future<?>> running = new ArrayList<>();
    for (int w = 0; w < 8; w++) {
      GrpcWriteClient client = clients.get(w % clients.size());
      String writer = "w" + w;
      running.add(writers.submit(() -> {
        for (int i = 0; writing.get(); i++) {
          // 16 in flight per writer: the gateways hand the producer bursts, not one write at a time
          List<Future<GrpcWriteClient.Result>> burst = new ArrayList<>();
          for (int j = 0; j < 16; j++) {
            burst.add(client.write(request("churn", writer + "-" + i + "-" + j).build(), 10_000));
          }
          for (Future<GrpcWriteClient.Result> written : burst) {
            GrpcWriteClient.Result result = await(written);
            if (result.status() == GrpcStatus.OK && result.response().getDurable() == Trilean.SUCCESS) {
              acknowledged.add(result.response().getEntryId());
            } else if (result.status() == GrpcStatus.UNAVAILABLE || result.status() == GrpcStatus.NOT_FOUND) {
              refusals.merge(result.status().name(), 1, Integer::sum);
            } else {
              unexpected.add(result.status() + " " + result.statusMessage() + " "
                  + (result.response() == null ? "" : result.response().getDurable()));
            }
          }
        }
      }));
    }
    try {
      for (int update = 0; update < 5; update++) {
        int before = acknowledged.size();
        await().atMost(Duration.ofSeconds(10)).until(() -> acknowledged.size() >= before + 200);
        AdminHttp.Response updated = admin.call("PUT", "/v1/namespaces/churn",
            namespace("churn", sink.url("/apply")).put("max-in-flight-writes", 1_000 + update));
        assertThat(updated.status()).as("update " + update + ": " + updated.text()).isEqualTo(200);
      }
      int before = acknowledged.size();
      await().atMost(Duration.ofSeconds(10)).until(() -> acknowledged.size() >= before + 200);
    } finally {
      writing.set(false);
      for (java.util.concurrent.Future<?> writer : running) {
        writer.get(30, TimeUnit.SECONDS);
      }
      writers.shutdown();
      clients.forEach(GrpcWriteClient::close);
    }
    assertThat(unexpected).as("answers other than stored or no owner (refused: " + refusals + ")").isEmpty();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(sink.deliveredIds()).as("acknowledged entries delivered").containsAll(acknowledged));
  }

  @Test
  void inClusterApplicationsWriteOverTheEventBus() {
    create(admin, namespace("bus", sink.url("/apply")));
    WriteToLogRequest req = request("bus", "over the bus").setKey("k").build();
    Buffer reply = await(node.vertx().eventBus().<Buffer>request(Addresses.write("bus"), Buffer.buffer(req.toByteArray()))).body();
    WriteToLogResponse response = parse(reply);
    assertThat(response.getDurable()).isEqualTo(Trilean.SUCCESS);
    await().atMost(Duration.ofSeconds(10)).until(() -> sink.deliveredIds().contains(response.getEntryId()));

    Map<String, Integer> codes = new ConcurrentHashMap<>();
    node.vertx().eventBus().request(Addresses.write("bus"), "not protobuf")
        .onFailure(e -> codes.put("string", ((ReplyException) e).failureCode()));
    node.vertx().eventBus().request(Addresses.write("bus"), Buffer.buffer(new byte[] {(byte) 0xff, 0x01}))
        .onFailure(e -> codes.put("garbage", ((ReplyException) e).failureCode()));
    node.vertx().eventBus().request(Addresses.GATEWAY_WRITE, Buffer.buffer(request("no-such", "x").build().toByteArray()))
        .onFailure(e -> codes.put("gateway-unknown", ((ReplyException) e).failureCode()));
    // the batch address, meant for gateways of other members: anything but a WriteToLogBatchRequest, or a batch over
    // the limit, is refused whole
    node.vertx().eventBus().request(Addresses.writeBatch("bus"), Buffer.buffer(req.toByteArray()))
        .onFailure(e -> codes.put("batch-bytes", ((ReplyException) e).failureCode()));
    io.walmesh.protocol.v1.WriteToLogBatchRequest.Builder tooMany = io.walmesh.protocol.v1.WriteToLogBatchRequest.newBuilder();
    for (int i = 0; i <= Addresses.MAX_BATCH_WRITES; i++) {
      tooMany.addRequests(request("bus", "too many " + i));
    }
    Map<String, String> messages = new ConcurrentHashMap<>();
    node.vertx().eventBus().request(Addresses.writeBatch("bus"), tooMany.build()).onFailure(e -> {
      messages.put("batch-too-many", e.getMessage());
      codes.put("batch-too-many", ((ReplyException) e).failureCode());
    });
    await().atMost(Duration.ofSeconds(5)).until(() -> codes.size() == 5);
    assertThat(codes).containsEntry("string", WriteFailure.INVALID_ARGUMENT.code())
        .containsEntry("garbage", WriteFailure.INVALID_ARGUMENT.code())
        .containsEntry("gateway-unknown", WriteFailure.NOT_FOUND.code())
        .containsEntry("batch-bytes", WriteFailure.INVALID_ARGUMENT.code())
        .containsEntry("batch-too-many", WriteFailure.INVALID_ARGUMENT.code());
    assertThat(messages.get("batch-too-many")).contains("1001 writes", "limit of 1000");
    await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5))
        .until(() -> !sink.deliveredBodies().contains("too many 0")); // nothing of a refused batch is stored
    Buffer viaGateway = await(node.vertx().eventBus().<Buffer>request(Addresses.GATEWAY_WRITE,
        Buffer.buffer(request("bus", "via the gateway").build().toByteArray()))).body();
    assertThat(parse(viaGateway).getDurable()).isEqualTo(Trilean.SUCCESS);
    await().atMost(Duration.ofSeconds(10)).until(() -> sink.deliveredBodies().contains("via the gateway"));
  }

  /**
   * Writes sent over the event bus while their namespace restarts (an update restarts its producer) each get an
   * answer: stored, or refused as unavailable. Vert.x answers a message that reaches a consumer after it unregistered
   * with a failure of type TIMEOUT, which a gateway must read as "may be stored" ({@code durable: UNKNOWN}), for a write
   * that was never stored. Single writes and batches (the address gateways of other members use), many in flight, so
   * that some are queued on the producer's event loop when it stops (without the producer's answer, hundreds time
   * out per run). The writes are due in an hour: what is checked is what is stored, without a delivery backlog.
   */
  @Test
  void writesOverTheEventBusWhileTheNamespaceRestartsAreEachAnswered() throws Exception {
    long hour = 3_600_000;
    // the hook the producer answers through is on Vert.x's consumer implementation: an upgrade that drops it fails here
    io.vertx.core.eventbus.MessageConsumer<Object> probe = node.vertx().eventBus().consumer("walmesh.test.probe");
    assertThat(probe).isInstanceOf(io.vertx.core.eventbus.impl.MessageConsumerImpl.class);
    await(probe.unregister());
    create(admin, namespace("restarts", sink.url("/apply")).put("max-in-flight-writes", 10_000));
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    Map<String, Integer> refusals = new ConcurrentHashMap<>();
    List<String> unexpected = new CopyOnWriteArrayList<>();
    java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(1024);
    AtomicBoolean writing = new AtomicBoolean(true);
    io.vertx.core.eventbus.DeliveryOptions options = new io.vertx.core.eventbus.DeliveryOptions().setSendTimeout(5_000);
    java.util.function.Consumer<Throwable> refused = failure -> {
      if (failure instanceof ReplyException e && (e.failureType() == io.vertx.core.eventbus.ReplyFailure.NO_HANDLERS
          || e.failureType() == io.vertx.core.eventbus.ReplyFailure.RECIPIENT_FAILURE
          && e.failureCode() == WriteFailure.UNAVAILABLE.code())) {
        refusals.merge(e.failureType().name(), 1, Integer::sum);
      } else {
        unexpected.add(String.valueOf(failure));
      }
    };
    Thread sender = new Thread(() -> {
      for (int i = 0; writing.get(); i++) {
        inFlight.acquireUninterruptibly(2); // a single write and a batch of 4: at most 2,560 writes in flight
        node.vertx().eventBus().<Buffer>request(Addresses.write("restarts"),
            Buffer.buffer(delayed("restarts", "single " + i, hour).toByteArray()), options).onComplete(reply -> {
              inFlight.release();
              if (reply.succeeded()) {
                acknowledged.add(parse(reply.result().body()).getEntryId());
              } else {
                refused.accept(reply.cause());
              }
            });
        io.walmesh.protocol.v1.WriteToLogBatchRequest.Builder batch = io.walmesh.protocol.v1.WriteToLogBatchRequest.newBuilder();
        for (int j = 0; j < 4; j++) {
          batch.addRequests(delayed("restarts", "batched " + i + "-" + j, hour));
        }
        node.vertx().eventBus().<io.walmesh.protocol.v1.WriteToLogBatchResponse>request(Addresses.writeBatch("restarts"),
            batch.build(), options).onComplete(reply -> {
              inFlight.release();
              if (reply.failed()) {
                refused.accept(reply.cause());
                return;
              }
              for (io.walmesh.protocol.v1.WriteToLogBatchResult result : reply.result().body().getResultsList()) {
                if (result.getStatusCode() == 0 && result.getResponse().getDurable() == Trilean.SUCCESS) {
                  acknowledged.add(result.getResponse().getEntryId());
                } else if (result.getStatusCode() == WriteFailure.UNAVAILABLE.code()) {
                  refusals.merge("batched UNAVAILABLE", 1, Integer::sum);
                } else {
                  unexpected.add(result.getStatusCode() + " " + result.getStatusMessage() + " "
                      + result.getResponse().getDurable());
                }
              }
            });
      }
    });
    sender.setDaemon(true);
    sender.start();
    try {
      for (int update = 0; update < 5; update++) {
        int before = acknowledged.size();
        await().atMost(Duration.ofSeconds(10)).until(() -> acknowledged.size() >= before + 500);
        AdminHttp.Response updated = admin.call("PUT", "/v1/namespaces/restarts",
            namespace("restarts", sink.url("/apply")).put("max-in-flight-writes", 10_000 + update));
        assertThat(updated.status()).as("update " + update + ": " + updated.text()).isEqualTo(200);
      }
    } finally {
      writing.set(false);
      sender.join(10_000);
    }
    assertThat(sender.isAlive()).as("the sender stopped").isFalse();
    await().atMost(Duration.ofSeconds(10)).until(() -> inFlight.availablePermits() == 1024);
    assertThat(unexpected).as("answers other than stored or unavailable (refused: " + refusals + ")").isEmpty();
    // every acknowledged write is stored, once, and no refused one is: the entries (due in an hour) are counted
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(admin.get("/v1/namespaces/restarts").body()
        .getJsonObject("stats").getLong("pending")).as("stored entries").isEqualTo(acknowledged.size()));
    assertThat(admin.call("DELETE", "/v1/namespaces/restarts?force=true", null).status()).isEqualTo(200);
  }

  /**
   * A browser's gRPC-Web call (HTTP/1.1) and calls in gRPC's JSON form (HTTP/2: unary, batch and stream) are stored
   * and delivered as protobuf calls are: the gateway reads JSON messages with the library's decoder, not its own.
   */
  @Test
  void writesInGrpcWebAndInJsonAreStoredAndDelivered() throws Exception {
    create(admin, namespace("formats", sink.url("/apply")));
    io.vertx.core.http.HttpClient http1 = clientVertx.createHttpClient();
    io.vertx.core.http.HttpClient http2 = clientVertx.createHttpClient(new io.vertx.core.http.HttpClientOptions()
        .setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
    try {
      Buffer web = call(http1, "WriteToLog", "application/grpc-web+proto",
          request("formats", "from a browser").setKey("w").build().toByteArray());
      WriteToLogResponse webAnswer = WriteToLogResponse.parseFrom(web.getBytes(5, 5 + web.getInt(1)));
      assertThat(webAnswer.getDurable()).isEqualTo(Trilean.SUCCESS);
      assertThat(web.getString(5 + web.getInt(1) + 5, web.length())).as("the gRPC-Web trailer frame")
          .containsPattern("(?i)grpc-status: ?0");

      Buffer json = call(http2, "WriteToLog", "application/grpc+json",
          "{\"namespace\": \"formats\", \"key\": \"j\", \"payload\": \"ZnJvbSBqc29u\"}".getBytes());
      JsonObject jsonAnswer = new JsonObject(json.getString(5, 5 + json.getInt(1)));
      assertThat(jsonAnswer.getString("durable")).isEqualTo("SUCCESS");
      Buffer batch = call(http2, "WriteToLogBatch", "application/grpc+json", ("{\"requests\": ["
          + "{\"namespace\": \"formats\", \"payload\": \"YmF0Y2hlZCAx\"},"
          + "{\"namespace\": \"formats\", \"payload\": \"YmF0Y2hlZCAy\"}]}").getBytes());
      JsonArray results = new JsonObject(batch.getString(5, 5 + batch.getInt(1))).getJsonArray("results");
      assertThat(results).hasSize(2);
      assertThat(results.getJsonObject(1).getJsonObject("response").getString("durable")).isEqualTo("SUCCESS");

      Buffer streamed = call(http2, "WriteToLogStream", "application/grpc+json",
          "{\"requestId\": \"7\", \"request\": {\"namespace\": \"formats\", \"payload\": \"c3RyZWFtZWQgNw==\"}}".getBytes(),
          "{\"requestId\": \"8\", \"request\": {\"namespace\": \"formats\", \"payload\": \"c3RyZWFtZWQgOA==\"}}".getBytes());
      List<JsonObject> answers = new ArrayList<>();
      for (int at = 0; at < streamed.length(); at += 5 + streamed.getInt(at + 1)) {
        answers.add(new JsonObject(streamed.getString(at + 5, at + 5 + streamed.getInt(at + 1))));
      }
      assertThat(answers).extracting(a -> a.getString("requestId")).containsExactlyInAnyOrder("7", "8");
      assertThat(answers).allSatisfy(a -> assertThat(a.getJsonObject("response").getString("durable")).isEqualTo("SUCCESS"));

      await().atMost(Duration.ofSeconds(10)).until(() -> sink.deliveredBodies().containsAll(
          Set.of("from a browser", "from json", "batched 1", "batched 2", "streamed 7", "streamed 8")));
      assertThat(sink.delivered()).filteredOn(r -> r.body().equals("from a browser")).singleElement()
          .extracting(HttpSink.Received::entryId).isEqualTo(webAnswer.getEntryId());
      assertThat(sink.delivered()).filteredOn(r -> r.body().equals("from json")).singleElement()
          .extracting(HttpSink.Received::entryId).isEqualTo(jsonAnswer.getString("entryId"));
    } finally {
      await(http1.close());
      await(http2.close());
    }
  }

  /** One gRPC call of {@code method} with {@code messages}, each framed as gRPC frames it; answers the response body. */
  private static Buffer call(io.vertx.core.http.HttpClient http, String method, String contentType, byte[]... messages) {
    Buffer body = Buffer.buffer();
    for (byte[] message : messages) {
      body.appendByte((byte) 0).appendInt(message.length).appendBytes(message);
    }
    return await(http.request(io.vertx.core.http.HttpMethod.POST, node.grpcPort(), "127.0.0.1",
            "/walmesh.v1.WriteAheadLog/" + method)
        .compose(request -> request.putHeader("content-type", contentType).putHeader("te", "trailers").send(body))
        .compose(response -> {
          assertThat(response.statusCode()).isEqualTo(200);
          return response.body();
        }));
  }

  private static WriteToLogResponse parse(Buffer buffer) {
    try {
      return WriteToLogResponse.parseFrom(buffer.getBytes());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static JsonArray dlq(String namespace) {
    AdminHttp.Response response = admin.get("/v1/namespaces/" + namespace + "/dlq");
    assertThat(response.status()).as(response.text()).isEqualTo(200);
    return response.body().getJsonArray("entries");
  }
}
