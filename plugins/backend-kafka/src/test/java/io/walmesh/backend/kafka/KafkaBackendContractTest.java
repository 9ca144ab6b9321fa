package io.walmesh.backend.kafka;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.Future;
import io.walmesh.spi.backend.AppendException;
import io.walmesh.spi.backend.AppendResult;
import io.walmesh.spi.backend.Backend;
import io.walmesh.spi.backend.BackendFactory;
import io.walmesh.spi.backend.DeadLetterBackend;
import io.walmesh.spi.backend.ReplayRequest;
import io.walmesh.spi.backend.ReplayStatus;
import io.walmesh.spi.backend.ReplayableBackend;
import io.walmesh.testkit.BackendProbe;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import io.walmesh.testkit.BackendContract;
import io.walmesh.testkit.KafkaBroker;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.common.TopicPartition;
import io.walmesh.spi.backend.BackendSpec;
import io.walmesh.spi.backend.CountingBackend;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backend contract on a real Kafka broker (KRaft, in this JVM): one topic per test, two
 * partitions, and a 1 s delay tier so that delays move through a tier topic.
 */
class KafkaBackendContractTest extends BackendContract {
  @TempDir
  static Path brokerDir;
  static KafkaBroker broker;

  @BeforeAll
  static void startBroker() {
    broker = KafkaBroker.start(brokerDir);
  }

  @AfterAll
  static void stopBroker() {
    broker.close();
  }

  @Override
  protected BackendFactory newFactory() {
    return new KafkaBackendFactory();
  }

  @Override
  protected JsonObject config(String namespace) {
    return new JsonObject().put("bootstrap-servers", broker.bootstrapServers()).put("wal-kafka-topic", namespace)
        .put("partitions", 2).put("delay-tiers-secs", new JsonArray().add(1)).put("session-timeout-ms", 6_000)
        .put("revoke-drain-ms", 500);
  }

  @Override
  protected boolean keepsPerKeyOrder() {
    return true;
  }

  /**
   * A replay larger than one poll of its reader (500 records) is requeued a poll at a time, each entry once; one that
   * covers more than -Dwalmesh.kafka.max-replay-entries is refused whole, before anything is produced.
   */
  @Test
  void aReplayIsRequeuedAPollAtATimeAndOneOverItsLimitIsRefusedWhole() {
    Backend backend = open(spec(false));
    long from = System.currentTimeMillis() - 1;
    int total = 1_200;
    Set<String> ids = new HashSet<>();
    probe.call(() -> {
      List<Future<AppendResult>> appends = new ArrayList<>();
      for (int i = 0; i < total; i++) {
        appends.add(backend.append(entry("", "r-" + i, 0)));
      }
      return Future.all(appends).onSuccess(all -> appends.forEach(a -> ids.add(a.result().entryId())));
    });
    deliverAll(backend, total);
    long to = System.currentTimeMillis() + 1;
    ReplayableBackend replayable = (ReplayableBackend) backend;
    try {
      System.setProperty(ReplayReader.MAX_REPLAY_PROPERTY, Integer.toString(total - 1));
      assertThatThrownBy(() -> probe.call(() -> replayable.replay(new ReplayRequest(from, to, "", true, Set.of()))))
          .isInstanceOf(AppendException.class)
          .hasMessageContaining("more than " + (total - 1) + " entries of topic " + spec(false).namespace())
          .hasMessageContaining(ReplayReader.MAX_REPLAY_PROPERTY)
          .hasMessageContaining("nothing was requeued");
      probe.assertNothingPolled(backend, java.time.Duration.ofSeconds(2), "a refused replay requeues nothing");

      System.setProperty(ReplayReader.MAX_REPLAY_PROPERTY, Integer.toString(total));
      ReplayStatus started = probe.call(() -> replayable.replay(new ReplayRequest(from, to, "", true, Set.of())));
      assertThat(started.queued()).isEqualTo(total);
      assertThat(deliverAll(backend, total)).as("each entry once, by id").isEqualTo(ids);
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() ->
          probe.call(() -> replayable.replayStatus(started.id())).done());
    } finally {
      System.clearProperty(ReplayReader.MAX_REPLAY_PROPERTY);
    }
  }

  /**
   * A DLQ larger than one read (500 records) is listed, purged by id and replayed a read at a time, each dead letter
   * once with its payload: the node keeps where each dead letter is, and reads payloads back only when they are needed.
   */
  @Test
  void aLargeDeadLetterQueueIsReplayedAReadAtATimeWithItsPayloads() {
    Backend backend = open(spec(false));
    int total = 1_300;
    probe.call(() -> {
      List<Future<AppendResult>> appends = new ArrayList<>();
      for (int i = 0; i < total; i++) {
        appends.add(backend.append(entry("", "d-" + i, 0)));
      }
      return Future.all(appends);
    });
    Map<String, String> payloads = new java.util.HashMap<>();
    long deadline = System.currentTimeMillis() + 60_000;
    while (payloads.size() < total && System.currentTimeMillis() < deadline) {
      List<BackendProbe.Polled> polled = probe.pollOnce(backend, 200);
      polled.forEach(p -> payloads.put(p.lease().entry().getEntryId(), p.payload()));
      probe.call(() -> Future.all(polled.stream().map(p -> backend.deadLetter(p.lease(), p.lease().entry().toBuilder()
          .setAttempts(3).setLastError("target down").build())).toList()));
    }
    assertThat(payloads).hasSize(total);
    DeadLetterBackend dlq = (DeadLetterBackend) backend;

    List<io.walmesh.spi.entry.EntryRecord> listed = probe.call(() -> dlq.listDeadLetters(700));
    assertThat(listed).hasSize(700);
    for (io.walmesh.spi.entry.EntryRecord dead : listed) {
      assertThat(dead.getPayload().toStringUtf8()).as("payload of %s", dead.getEntryId())
          .isEqualTo(payloads.get(dead.getEntryId()));
      assertThat(dead.getLastError()).isEqualTo("target down");
    }
    List<String> purged = listed.subList(0, 100).stream().map(io.walmesh.spi.entry.EntryRecord::getEntryId).toList();
    assertThat(probe.call(() -> dlq.purgeDeadLetters(purged))).isEqualTo(100);

    assertThat(probe.call(() -> dlq.replayDeadLetters(List.of()))).isEqualTo(total - 100);
    assertThat(probe.call(() -> dlq.listDeadLetters(10))).isEmpty();
    Map<String, String> again = new java.util.HashMap<>();
    deadline = System.currentTimeMillis() + 60_000;
    while (again.size() < total - 100 && System.currentTimeMillis() < deadline) {
      List<BackendProbe.Polled> polled = probe.pollOnce(backend, 200);
      for (BackendProbe.Polled p : polled) {
        assertThat(again.put(p.lease().entry().getEntryId(), p.payload())).as("replayed once").isNull();
        assertThat(p.lease().entry().getAttempts()).isZero();
      }
      probe.call(() -> backend.ackAll(polled.stream().map(BackendProbe.Polled::lease).toList()));
    }
    Map<String, String> expected = new java.util.HashMap<>(payloads);
    purged.forEach(expected::remove);
    assertThat(again).isEqualTo(expected);
  }

  /** A listing of dead letters stops at the one that takes it past 4 MiB of payloads, however many were asked for. */
  @Test
  void aListingOfLargeDeadLettersStopsAtItsByteLimit() {
    Backend backend = open(spec(false));
    String large = "x".repeat(300_000);
    for (int i = 0; i < 20; i++) {
      append(backend, entry("", large, 0));
    }
    List<BackendProbe.Polled> polled = probe.pollUntil(backend, java.time.Duration.ofSeconds(30), "20 entries",
        got -> got.size() >= 20);
    probe.call(() -> Future.all(polled.stream().map(p -> backend.deadLetter(p.lease(), p.lease().entry())).toList()));
    List<io.walmesh.spi.entry.EntryRecord> listed = probe.call(() -> ((DeadLetterBackend) backend).listDeadLetters(100));
    // the kit's entries carry their payload in a header too: 600,000 bytes a record, so the seventh crosses 4 MiB
    assertThat(listed).hasSize(7);
    assertThat(listed).allSatisfy(dead -> assertThat(dead.getPayload().size()).isEqualTo(300_000));
  }

  /**
   * Records that retention deleted before the group committed anything are not counted: the consumer begins at the
   * log's start, and the count begins there too (it counted from offset 0).
   */
  @Test
  void recordsDeletedBeforeAnyCommitAreNotCounted() throws Exception {
    BackendSpec spec = spec(false);
    Backend first = open(spec);
    for (int i = 0; i < 3; i++) {
      append(first, entry("", "deleted-" + i, 0));
    }
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      List<TopicPartition> partitions = List.of(new TopicPartition(spec.namespace(), 0), new TopicPartition(spec.namespace(), 1));
      Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(partitions.stream()
          .collect(java.util.stream.Collectors.toMap(tp -> tp, tp -> OffsetSpec.latest()))).all().get(15, TimeUnit.SECONDS);
      assertThat(ends.values().stream().mapToLong(ListOffsetsResult.ListOffsetsResultInfo::offset).sum()).isEqualTo(3);
      admin.deleteRecords(ends.entrySet().stream().collect(java.util.stream.Collectors.toMap(Map.Entry::getKey,
          e -> RecordsToDelete.beforeOffset(e.getValue().offset())))).all().get(15, TimeUnit.SECONDS);
    }
    // none was delivered, so the group has no offset past them; a restart reads the partitions from their start
    CountingBackend reopened = (CountingBackend) restart(first, spec);
    append(reopened, entry("", "kept", 0));
    assertThat(probe.pollUntilPayloads(reopened, java.time.Duration.ofSeconds(10), "kept"))
        .extracting(BackendProbe.Polled::payload).containsExactly("kept");
    org.awaitility.Awaitility.await("only the record still in the topic is counted").atMost(java.time.Duration.ofSeconds(20))
        .untilAsserted(() -> assertThat(reopened.stats().pending()).isEqualTo(1));
  }

  /** Polls until {@code count} entries came, acknowledging each poll; answers their ids (failing on a duplicate). */
  private Set<String> deliverAll(Backend backend, int count) {
    Set<String> seen = new HashSet<>();
    long deadline = System.currentTimeMillis() + 60_000;
    while (seen.size() < count && System.currentTimeMillis() < deadline) {
      List<BackendProbe.Polled> polled = probe.pollOnce(backend, 200);
      for (BackendProbe.Polled p : polled) {
        assertThat(seen.add(p.lease().entry().getEntryId())).as("polled once: %s", p.payload()).isTrue();
      }
      if (polled.isEmpty()) {
        org.awaitility.Awaitility.await().pollDelay(java.time.Duration.ofMillis(50)).until(() -> true);
      } else {
        probe.call(() -> backend.ackAll(polled.stream().map(BackendProbe.Polled::lease).toList()));
      }
    }
    assertThat(seen).hasSize(count);
    return seen;
  }

  /**
   * A namespace opened right after its topics are created must not fail because a broker's metadata
   * does not have them yet (CI once failed with "This server does not host this topic-partition").
   */
  @Test
  void topicsJustCreatedAreDescribedOnceEveryPartitionHasALeader() throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      List<String> topics = IntStream.range(0, 5).mapToObj(i -> "fresh-" + i + "-" + System.nanoTime()).toList();
      admin.createTopics(topics.stream().map(t -> new NewTopic(t, 3, (short) 1)).toList()).all().get(15, TimeUnit.SECONDS);
      Map<String, TopicDescription> described = KafkaBackendFactory.describeWhenReady(admin, topics, 15_000);
      assertThat(described).containsOnlyKeys(topics);
      described.values().forEach(d -> assertThat(d.partitions()).hasSize(3)
          .allSatisfy(p -> assertThat(p.leader().isEmpty()).isFalse()));
    }
  }

  @Test
  void aTopicThatNeverAppearsIsNamedOnceTheWaitIsOver() {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      long start = System.nanoTime();
      assertThatThrownBy(() -> KafkaBackendFactory.describeWhenReady(admin, List.of("never-created"), 1_000))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("[never-created] not ready after 1000 ms")
          .hasMessageContaining("does not host this topic-partition");
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(1_000);
    }
  }
}
