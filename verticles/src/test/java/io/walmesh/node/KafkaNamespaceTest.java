package io.walmesh.node;

import static io.walmesh.node.TestNodes.await;
import static io.walmesh.node.TestNodes.create;
import static io.walmesh.node.TestNodes.delayed;
import static io.walmesh.node.TestNodes.request;
import static io.walmesh.node.TestNodes.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.node.gateway.GrpcWriteClient;
import io.walmesh.spi.entry.EntryRecord;
import io.walmesh.protocol.v1.Target;
import io.walmesh.protocol.v1.Trilean;
import io.walmesh.protocol.v1.WriteToLogRequest;
import io.walmesh.testkit.HttpSink;
import io.walmesh.testkit.KafkaBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Namespaces on the kafka backend, and the kafka target, against a real KRaft broker in this JVM. */
class KafkaNamespaceTest extends SingleNodeTest {
  static KafkaBroker kafka;
  @TempDir
  static Path kafkaDir;

  @BeforeAll
  static void startKafka() {
    kafka = KafkaBroker.start(kafkaDir);
    closeAfterNode.add(kafka);
  }

  /** A kafka namespace with short delay tiers, so the tier topics are exercised in seconds. */
  static JsonObject kafkaNamespace(String name, String url, JsonObject extra) {
    JsonObject config = new JsonObject().put("bootstrap-servers", kafka.bootstrapServers())
        .put("wal-kafka-topic", "walmesh-" + name).put("partitions", 4)
        .put("delay-tiers-secs", new JsonArray().add(2).add(4)).put("delivery-timeout-ms", 3_000);
    config.mergeIn(extra);
    return TestNodes.namespace(name, url).put("backend", new JsonObject().put("type", "kafka").put("config", config));
  }

  @Test
  void withTheBrokerDownWritesAnswerFailedOrUnknownInTimeAndAfterItsRestartEveryAckedEntryIsDelivered() {
    create(admin, kafkaNamespace("kafka-outage", sink.url("/x"), new JsonObject()));
    Set<String> acked = ConcurrentHashMap.newKeySet();
    for (int i = 0; i < 20; i++) {
      if (write(grpc, request("kafka-outage", "before-" + i).setKey("k" + i % 3).build()).response().getDurable() == Trilean.SUCCESS) {
        acked.add("before-" + i);
      }
    }
    assertThat(acked).hasSize(20);

    kafka.stop();
    try {
      List<Future<GrpcWriteClient.Result>> during = new ArrayList<>();
      long sent = System.currentTimeMillis();
      for (int i = 0; i < 10; i++) {
        during.add(grpc.write(request("kafka-outage", "during-" + i).setKey("k" + i % 3).build(), 5_000));
      }
      for (Future<GrpcWriteClient.Result> answer : during) {
        GrpcWriteClient.Result result = await(answer);
        assertThat(result.ok()).as("answered within the deadline, not a transport failure: %s", result).isTrue();
        assertThat(result.response().getDurable()).as("never SUCCESS while the broker is down")
            .isIn(Trilean.FAILED, Trilean.UNKNOWN);
        assertThat(result.response().getMessage()).isNotBlank();
      }
      assertThat(System.currentTimeMillis() - sent).as("all answered within the 5 s deadline").isLessThan(6_000);
    } finally {
      kafka.restart();
    }

    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() ->
        write(grpc, request("kafka-outage", "after").build()).response().getDurable() == Trilean.SUCCESS);
    acked.add("after");
    await().atMost(Duration.ofSeconds(60)).until(() -> sink.deliveredBodies().containsAll(acked));
  }

  @Test
  void perKeyOrderHoldsAcrossRetriesAndAFailingKeyHoldsBackOnlyItself() {
    JsonObject ns = kafkaNamespace("kafka-ordered", sink.url("/x"), new JsonObject()).put("ordering", "per-key");
    ns.getJsonObject("retry").put("max-attempts", 20).put("initial-backoff-ms", 200).put("max-backoff-ms", 400);
    create(admin, ns);
    // a1 fails for its first 6 attempts (well over a second); b flows meanwhile
    sink.respond(r -> r.body().equals("a1") && r.attempt() <= 6 ? 503 : 200);
    for (String payload : List.of("a1", "a2", "a3")) {
      write(grpc, request("kafka-ordered", payload).setKey("a").build());
    }
    for (int i = 1; i <= 5; i++) {
      write(grpc, request("kafka-ordered", "b" + i).setKey("b").build());
    }

    await().atMost(Duration.ofSeconds(30)).until(() -> sink.deliveredBodies().containsAll(List.of("a1", "a2", "a3")));
    List<String> delivered = sink.delivered().stream().map(HttpSink.Received::body).toList();
    assertThat(delivered.stream().filter(b -> b.startsWith("a")).toList()).containsExactly("a1", "a2", "a3");
    assertThat(delivered.stream().filter(b -> b.startsWith("b")).toList()).containsExactly("b1", "b2", "b3", "b4", "b5");
    assertThat(delivered.indexOf("b5")).as("key b is not held back by a's retries").isLessThan(delivered.indexOf("a1"));
    assertThat(sink.received().stream().filter(r -> r.body().equals("a1")).count()).isEqualTo(7);
  }

  @Test
  void pipelinedWritesOfOneKeyAreDeliveredInTheOrderSentWithOrWithoutIdempotencyKeys() {
    create(admin, kafkaNamespace("kafka-pipelined", sink.url("/p"), new JsonObject()).put("ordering", "per-key"));
    // sent on one connection without waiting for answers; every third carries an idempotency key, whose lookup must
    // not let the unkeyed writes after it overtake
    List<String> sent = new ArrayList<>();
    List<Future<GrpcWriteClient.Result>> answers = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      WriteToLogRequest.Builder write = request("kafka-pipelined", "pipelined-" + i).setKey("p");
      if (i % 3 == 0) {
        write.setIdempotencyKey("pipelined-write-" + i);
      }
      sent.add("pipelined-" + i);
      answers.add(grpc.write(write.build(), 10_000));
    }
    for (Future<GrpcWriteClient.Result> answer : answers) {
      assertThat(await(answer).response().getDurable()).isEqualTo(Trilean.SUCCESS);
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> sink.deliveredBodies().containsAll(sent));
    assertThat(sink.delivered().stream().map(HttpSink.Received::body).filter(b -> b.startsWith("pipelined-")).toList())
        .as("key p delivered in the order its writes were sent").containsExactlyElementsOf(sent);
  }

  @Test
  void aDelayedEntryIsNeverDeliveredEarlyWhileOtherEntriesKeepFlowing() throws Exception {
    create(admin, kafkaNamespace("kafka-delay", sink.url("/x"), new JsonObject()));
    long due = System.currentTimeMillis() + 5_000;
    assertThat(write(grpc, delayed("kafka-delay", "in five seconds", 5_000)).response().getDurable()).isEqualTo(Trilean.SUCCESS);
    long due9 = System.currentTimeMillis() + 9_000;
    assertThat(write(grpc, delayed("kafka-delay", "in nine seconds", 9_000)).response().getDurable()).isEqualTo(Trilean.SUCCESS);
    long flowUntil = System.currentTimeMillis() + 6_000;
    int n = 0;
    while (System.currentTimeMillis() < flowUntil) {
      write(grpc, request("kafka-delay", "now-" + n++).build());
      Thread.sleep(50);
    }
    int flowed = n;
    await().atMost(Duration.ofSeconds(30)).until(() -> sink.deliveredBodies().contains("in nine seconds"));

    HttpSink.Received five = only(sink.delivered(), "in five seconds");
    HttpSink.Received nine = only(sink.delivered(), "in nine seconds");
    assertThat(five.receivedAtMs()).as("not before its due time").isGreaterThanOrEqualTo(due);
    assertThat(five.receivedAtMs()).as("and not much later (a first tier, 2 s, at most)").isLessThan(due + 3_000);
    assertThat(nine.receivedAtMs()).isGreaterThanOrEqualTo(due9).isLessThan(due9 + 3_000);
    await().atMost(Duration.ofSeconds(10)).until(() -> sink.deliveredBodies().containsAll(
        java.util.stream.IntStream.range(0, flowed).mapToObj(i -> "now-" + i).toList()));
    HttpSink.Received first = only(sink.delivered(), "now-0");
    assertThat(first.receivedAtMs()).as("the flowing entries were not held behind the delayed ones").isLessThan(due);
    assertThat(read("walmesh-kafka-delay-delay-4s", 2, new ByteArrayDeserializer()))
        .extracting(r -> EntryRecord.parseFrom(r.value()).getPayload().toStringUtf8()).as("the waits went through the 4 s delay tier")
        .contains("in five seconds", "in nine seconds");
  }

  @Test
  void longBackoffsGoThroughTheDelayTopicsThenTheDlqWhichListsReplaysAndPurges() {
    JsonObject ns = kafkaNamespace("kafka-dlq", sink.url("/x"), new JsonObject());
    ns.getJsonObject("retry").put("max-attempts", 3).put("initial-backoff-ms", 2_000).put("multiplier", 1.0);
    create(admin, ns);
    sink.respond(r -> r.body().equals("flaky") && r.attempt() < 3 ? 503 : r.body().startsWith("broken") ? 500 : 200);
    String flaky = write(grpc, request("kafka-dlq", "flaky").build()).response().getEntryId();
    String broken1 = write(grpc, request("kafka-dlq", "broken-1").build()).response().getEntryId();
    String broken2 = write(grpc, request("kafka-dlq", "broken-2").build()).response().getEntryId();

    await().atMost(Duration.ofSeconds(30)).until(() -> sink.deliveredIds().contains(flaky));
    List<HttpSink.Received> attempts = sink.received().stream().filter(r -> r.entryId().equals(flaky)).toList();
    assertThat(attempts).extracting(HttpSink.Received::attempt).containsExactly(1, 2, 3);
    for (int i = 1; i < 3; i++) {
      assertThat(attempts.get(i).receivedAtMs() - attempts.get(i - 1).receivedAtMs()).as("the 2 s backoff is kept")
          .isGreaterThanOrEqualTo(2_000);
    }
    assertThat(readTopic("walmesh-kafka-dlq-delay-2s", 2)).as("the backoffs waited in the 2 s delay tier").hasSizeGreaterThanOrEqualTo(2);

    await().atMost(Duration.ofSeconds(30)).until(() -> dlq("kafka-dlq").size() == 2);
    // the two fail in parallel: either may reach the DLQ first
    JsonObject dead = dlq("kafka-dlq").stream().map(o -> (JsonObject) o)
        .filter(o -> o.getString("entry-id").equals(broken1)).findFirst().orElseThrow();
    assertThat(dlq("kafka-dlq")).extracting(o -> ((JsonObject) o).getString("entry-id"))
        .containsExactlyInAnyOrder(broken1, broken2);
    assertThat(dead.getInteger("attempts")).isEqualTo(3);
    assertThat(dead.getString("last-error")).contains("answered 500");

    sink.respond(r -> 200);
    AdminHttp.Response replay = admin.post("/v1/namespaces/kafka-dlq/dlq/replay",
        new JsonObject().put("entry-ids", new JsonArray().add(broken1)));
    assertThat(replay.body().getInteger("replayed")).as(replay.text()).isEqualTo(1);
    await().atMost(Duration.ofSeconds(15)).until(() -> sink.deliveredIds().contains(broken1));
    assertThat(dlq("kafka-dlq")).extracting(o -> ((JsonObject) o).getString("entry-id")).containsExactly(broken2);

    assertThat(admin.post("/v1/namespaces/kafka-dlq/dlq/purge", new JsonObject()).body().getInteger("purged")).isEqualTo(1);
    assertThat(dlq("kafka-dlq")).isEmpty();
    restartNode();
    assertThat(dlq("kafka-dlq")).as("removals are kept in the topic, across a restart").isEmpty();
    assertThat(sink.deliveredIds()).doesNotContain(broken2);
  }

  @Test
  void theKafkaTargetProducesRecordsThatAPlainKafkaConsumerReads() {
    JsonObject target = new JsonObject().put("name", "pipeline").put("type", "kafka").put("config",
        new JsonObject().put("bootstrap-servers", kafka.bootstrapServers()).put("topic", "orders-default"));
    JsonObject ns = kafkaNamespace("kafka-retry-pipeline", sink.url("/x"), new JsonObject())
        .put("targets", new JsonArray().add(target));
    create(admin, ns);
    WriteToLogRequest handedOver = request("kafka-retry-pipeline", "{\"order\":42}").setKey("customer-7")
        .putHeaders("trace-id", "abc123")
        .setTarget(Target.newBuilder().setName("pipeline").putAttributes("topic", "orders")).build();
    String id = write(grpc, handedOver).response().getEntryId();
    write(grpc, request("kafka-retry-pipeline", "to the default topic").build());

    List<ConsumerRecord<String, String>> orders = readTopic("orders", 1);
    assertThat(orders).hasSize(1);
    ConsumerRecord<String, String> record = orders.get(0);
    assertThat(record.key()).isEqualTo("customer-7");
    assertThat(record.value()).isEqualTo("{\"order\":42}");
    Map<String, String> headers = new HashMap<>();
    for (Header header : record.headers()) {
      headers.put(header.key(), new String(header.value(), StandardCharsets.UTF_8));
    }
    assertThat(headers).containsEntry("trace-id", "abc123").containsEntry("walmesh-entry-id", id)
        .containsEntry("walmesh-namespace", "kafka-retry-pipeline").containsEntry("walmesh-attempt", "1");
    assertThat(readTopic("orders-default", 1)).extracting(ConsumerRecord::value).containsExactly("to the default topic");
  }

  @Test
  void twoNodesShareANamespaceThroughTheConsumerGroupAndAHandOverNeitherLosesNorRepeats() throws Exception {
    Path secondDir = Files.createTempDirectory(dataDir, "second");
    Node second = TestNodes.start(secondDir, "second");
    try {
      AdminHttp secondAdmin = new AdminHttp(second.adminPort());
      create(admin, kafkaNamespace("kafka-shared", sink.url("/first"), new JsonObject()));
      create(secondAdmin, kafkaNamespace("kafka-shared", sink.url("/second"), new JsonObject()));
      List<String> written = new ArrayList<>();
      // the second consumer joins the group a moment after the first: write until both deliver
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        for (int i = 0; i < 20; i++) {
          String payload = "e" + written.size();
          write(grpc, request("kafka-shared", payload).setKey("k" + written.size()).build());
          written.add(payload);
        }
        Thread.sleep(100);
        return sink.delivered().stream().map(HttpSink.Received::path).distinct().count() == 2;
      });
      await().atMost(Duration.ofSeconds(30)).until(() -> sink.deliveredBodies().containsAll(written));

      int handOverAt = written.size() + 50;
      for (int i = written.size(); i < handOverAt + 150; i++) {
        write(grpc, request("kafka-shared", "e" + i).setKey("k" + i).build());
        written.add("e" + i);
        if (i == handOverAt) {
          await(second.stop()); // its partitions move to the first node
        }
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> sink.deliveredBodies().containsAll(written));
      assertThat(sink.delivered()).as("a graceful hand-over commits what was delivered: nothing twice")
          .hasSize(written.size());
    } finally {
      await(second.stop());
    }
  }

  /**
   * A delete without force right after an acknowledged write is refused and the entry is delivered: the count it checks
   * is read once the namespace stopped taking writes, not the one the backend last read from Kafka (up to 2 s before,
   * which missed the write and let the delete destroy an acknowledged entry). Once everything is delivered it goes through.
   */
  @Test
  void aDeleteRightAfterAnAcknowledgedWriteIsRefusedAndTheEntryIsDelivered() {
    create(admin, kafkaNamespace("kafka-delete", sink.url("/x"), new JsonObject()));
    for (int round = 0; round < 3; round++) {
      String payload = "acknowledged just before the delete " + round;
      // due in 1 s, under the first delay tier: it waits in the consumer's window, undelivered, while the delete runs
      assertThat(write(grpc, delayed("kafka-delete", payload, 1_000)).response().getDurable()).isEqualTo(Trilean.SUCCESS);
      AdminHttp.Response refused = admin.call("DELETE", "/v1/namespaces/kafka-delete", null);
      assertThat(refused.status()).as(refused.text()).isEqualTo(409);
      assertThat(refused.body().getString("error")).contains("1 pending").contains("force=true");
      await().atMost(Duration.ofSeconds(30)).until(() -> sink.deliveredBodies().contains(payload));
    }
    await("the delete goes through once everything is delivered").atMost(Duration.ofSeconds(20))
        .until(() -> admin.call("DELETE", "/v1/namespaces/kafka-delete", null).status() == 200);
    assertThat(sink.deliveredBodies()).hasSize(3);
    // a delete deletes what it stored: its topics and consumer groups
    try (org.apache.kafka.clients.admin.Admin kafkaAdmin = org.apache.kafka.clients.admin.Admin.create(
        Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        assertThat(kafkaAdmin.listTopics().names().get()).noneMatch(t -> t.startsWith("walmesh-kafka-delete"));
        assertThat(kafkaAdmin.listConsumerGroups().all().get()).noneMatch(g -> g.groupId().contains("kafka-delete"));
      });
    }
  }

  /**
   * A new topic would leave the stored entries in the old one, where nothing reads them: refused while the namespace
   * holds any; the consumer's tuning changes with entries stored, and they are delivered; the move goes through once
   * they are.
   */
  @Test
  void anUpdateToAnotherTopicIsRefusedWhileEntriesAreStored() {
    create(admin, kafkaNamespace("kafka-moving", sink.url("/x"), new JsonObject()));
    // due in 1.5 s, under the first delay tier (2 s): it waits in the window, counted once (one being moved to a tier
    // topic is counted in both topics for a moment)
    assertThat(write(grpc, delayed("kafka-moving", "in the old topic", 1_500)).response().getDurable())
        .isEqualTo(Trilean.SUCCESS);
    AdminHttp.Response refused = admin.call("PUT", "/v1/namespaces/kafka-moving", kafkaNamespace("kafka-moving",
        sink.url("/x"), new JsonObject().put("wal-kafka-topic", "walmesh-kafka-moving-2")));
    assertThat(refused.status()).as(refused.text()).isEqualTo(409);
    assertThat(refused.body().getString("error")).contains("would never be delivered").contains("1 pending")
        .contains("backend.config field wal-kafka-topic changed");

    AdminHttp.Response tuned = admin.call("PUT", "/v1/namespaces/kafka-moving", kafkaNamespace("kafka-moving",
        sink.url("/x"), new JsonObject().put("window.max-entries", 500)));
    assertThat(tuned.status()).as("the same topics, other settings: " + tuned.text()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(30)).until(() -> sink.deliveredBodies().contains("in the old topic"));

    await("the move goes through once everything is delivered").atMost(Duration.ofSeconds(20))
        .until(() -> admin.call("PUT", "/v1/namespaces/kafka-moving", kafkaNamespace("kafka-moving", sink.url("/x"),
            new JsonObject().put("wal-kafka-topic", "walmesh-kafka-moving-2"))).status() == 200);
    assertThat(write(grpc, request("kafka-moving", "in the new topic").build()).response().getDurable())
        .isEqualTo(Trilean.SUCCESS);
    await().atMost(Duration.ofSeconds(30)).until(() -> sink.deliveredBodies().contains("in the new topic"));
  }

  @Test
  void badKafkaConfigIsRefusedWithTheFieldAndAnUnreachableBrokerCreatesNothing() {
    AdminHttp.Response reserved = admin.post("/v1/namespaces", kafkaNamespace("kafka-bad", sink.url("/x"),
        new JsonObject().put("kafka", new JsonObject().put("acks", "1"))));
    assertThat(reserved.status()).isEqualTo(400);
    assertThat(reserved.body().getString("field")).isEqualTo("backend.config.kafka.acks");

    AdminHttp.Response tiers = admin.post("/v1/namespaces", kafkaNamespace("kafka-bad", sink.url("/x"),
        new JsonObject().put("delay-tiers-secs", new JsonArray().add(60).add(10))));
    assertThat(tiers.body().getString("field")).isEqualTo("backend.config.delay-tiers-secs[1]");
    assertThat(tiers.body().getString("error")).contains("ascending");

    AdminHttp.Response unreachable = admin.post("/v1/namespaces", kafkaNamespace("kafka-unreachable", sink.url("/x"),
        new JsonObject().put("bootstrap-servers", "127.0.0.1:" + io.walmesh.testkit.FreePorts.next())));
    assertThat(unreachable.status()).as(unreachable.text()).isEqualTo(409);
    assertThat(unreachable.body().getString("error")).contains("cannot open Kafka topic");
    assertThat(admin.get("/v1/namespaces/kafka-unreachable").status()).isEqualTo(404);
    assertThat(admin.get("/v1/health").body().getString("status")).isEqualTo("UP");
  }

  private static HttpSink.Received only(List<HttpSink.Received> received, String body) {
    List<HttpSink.Received> matching = received.stream().filter(r -> r.body().equals(body)).toList();
    assertThat(matching).as("deliveries of %s", body).hasSize(1);
    return matching.get(0);
  }

  @Test
  void aReplayDeliversTheTopicsEntriesOfATimeRangeAgainSkippingExcludedOnes() {
    create(admin, kafkaNamespace("kafka-replay", sink.url("/r"), new JsonObject()));
    long before = System.currentTimeMillis() - 1;
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      ids.add(write(grpc, request("kafka-replay", "r-" + i).setKey("k" + i % 2).build()).response().getEntryId());
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> sink.delivered().size() == 6);
    long after = System.currentTimeMillis() + 1;

    AdminHttp.Response started = admin.post("/v1/namespaces/kafka-replay/replay", new JsonObject()
        .put("from", before).put("to", after).put("exclude", new JsonArray().add(ids.get(2))));
    assertThat(started.status()).as(started.text()).isEqualTo(202);
    assertThat(started.body().getLong("queued")).isEqualTo(5);
    assertThat(started.body().getLong("excluded")).isEqualTo(1);
    String replayId = started.body().getString("replay-id");

    await().atMost(Duration.ofSeconds(30)).until(() -> sink.delivered().size() == 11);
    await().atMost(Duration.ofSeconds(30)).until(() ->
        admin.get("/v1/namespaces/kafka-replay/replay/" + replayId).body().getBoolean("done"));
    List<String> replayed = sink.delivered().subList(6, 11).stream().map(HttpSink.Received::entryId).toList();
    assertThat(replayed).as("the same entries, by id, without the excluded one")
        .containsExactlyInAnyOrderElementsOf(ids.stream().filter(id -> !id.equals(ids.get(2))).toList());

    // a second replay of the same range does not replay the replayed copies again
    AdminHttp.Response again = admin.post("/v1/namespaces/kafka-replay/replay", new JsonObject().put("from", before));
    assertThat(again.body().getLong("queued")).isEqualTo(6);
  }

  private static JsonArray dlq(String namespace) {
    return admin.get("/v1/namespaces/" + namespace + "/dlq").body().getJsonArray("entries");
  }

  /** Reads a topic from the beginning with a plain consumer until {@code expected} records arrived. */
  private static List<ConsumerRecord<String, String>> readTopic(String topic, int expected) {
    return read(topic, expected, new StringDeserializer());
  }

  private static <V> List<ConsumerRecord<String, V>> read(String topic, int expected, Deserializer<V> values) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "plain-reader-" + System.nanoTime());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<ConsumerRecord<String, V>> records = new ArrayList<>();
    try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(props, new StringDeserializer(), values)) {
      consumer.subscribe(List.of(topic));
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
        return records.size() >= expected;
      });
    }
    return records;
  }
}
