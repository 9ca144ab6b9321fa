package io.walmesh.backend.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.walmesh.spi.entry.EntryRecord;
import io.walmesh.spi.PluginContext;
import io.walmesh.spi.backend.AppendResult;
import io.walmesh.spi.backend.Backend;
import io.walmesh.spi.backend.CountingBackend;
import io.walmesh.spi.backend.BackendSpec;
import io.walmesh.spi.backend.Lease;
import io.walmesh.spi.config.ConfigException;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local log on a real RocksDB in a temp directory: group commit, recovery, ids, dedupe. */
class LocalBackendTest {
  @TempDir
  Path dir;
  Vertx vertx;
  LocalBackendFactory factory;

  @BeforeEach
  void open() {
    vertx = Vertx.vertx();
    factory = new LocalBackendFactory();
    await(factory.init(new PluginContext(vertx, dir, "test")));
  }

  @AfterEach
  void close() {
    await(factory.close());
    await(vertx.close());
  }

  private void reopen() {
    await(factory.close());
    factory = new LocalBackendFactory();
    await(factory.init(new PluginContext(vertx, dir, "test")));
  }

  private Backend backend(String namespace, boolean ordered) {
    return await(factory.open(new BackendSpec(namespace, new JsonObject(), "backend.config", ordered, Duration.ofHours(1))));
  }

  private static EntryRecord entry(String payload, String key, long dueAt) {
    return EntryRecord.newBuilder().setPayload(ByteString.copyFromUtf8(payload)).setKey(key)
        .setWriteTimeMs(System.currentTimeMillis()).setDueAtMs(dueAt).build();
  }

  /**
   * The log thread hands the completions of a batch to each caller's context together: every append still completes
   * on the context that made it, after it is written, and a context's appends complete in the order it made them.
   * This is what {@link Backend#appendsFromAnyContext} promises: the node's gateways append from their event loops.
   */
  @Test
  void appendsFromSeveralContextsCompleteOnTheirOwnContextInTheirOrder() {
    Backend backend = backend("contexts", false);
    assertThat(backend.appendsFromAnyContext()).isTrue();
    List<io.vertx.core.Context> contexts = List.of(vertx.getOrCreateContext(), vertx.getOrCreateContext(),
        vertx.getOrCreateContext());
    List<Future<List<String>>> perContext = new ArrayList<>();
    for (io.vertx.core.Context context : contexts) {
      io.vertx.core.Promise<List<String>> done = io.vertx.core.Promise.promise();
      context.runOnContext(v -> {
        List<String> completed = new ArrayList<>();
        List<Future<AppendResult>> appends = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
          appends.add(backend.append(entry("c" + i, "", 0)).andThen(r -> {
            assertThat(io.vertx.core.Vertx.currentContext()).as("completed on the appending context").isSameAs(context);
            completed.add(r.result().entryId());
          }));
        }
        Future.all(appends).map(all -> completed).onComplete(done);
      });
      perContext.add(done.future());
    }
    Set<String> all = new HashSet<>();
    for (Future<List<String>> ids : perContext) {
      List<String> completed = await(ids);
      assertThat(completed).hasSize(300);
      assertThat(completed).as("a context's appends complete in the order it made them").isSorted();
      all.addAll(completed);
    }
    assertThat(all).hasSize(900);
    assertThat(((CountingBackend) backend).stats().pending()).isEqualTo(900);
  }

  @Test
  void concurrentAppendsShareSyncs() {
    Backend backend = backend("group", false);
    long syncsBefore = factory.syncedWrites();
    List<Future<AppendResult>> appends = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      appends.add(backend.append(entry("e" + i, "", 0)));
    }
    await(Future.all(appends));
    Set<String> ids = new HashSet<>();
    appends.forEach(a -> ids.add(a.result().entryId()));
    assertThat(ids).hasSize(400);
    long syncs = factory.syncedWrites() - syncsBefore;
    assertThat(syncs).as("400 concurrent appends were synced in fewer, shared writes").isBetween(1L, 200L);
  }

  @Test
  void aRestartRedeliversLeasedEntriesAndNeverReusesIds() {
    Backend backend = backend("recover", false);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      ids.add(await(backend.append(entry("e" + i, "", 0))).entryId());
    }
    List<Lease> leased = await(backend.poll(5));
    assertThat(leased).hasSize(5);
    await(backend.ack(leased.get(0)));
    await(backend.ack(leased.get(1)));
    assertThat(((CountingBackend) backend).stats().pending()).isEqualTo(8);

    reopen();
    Backend again = backend("recover", false);
    assertThat(((CountingBackend) again).stats().pending()).isEqualTo(8);
    List<Lease> all = await(again.poll(100));
    assertThat(all).extracting(l -> l.entry().getPayload().toStringUtf8())
        .containsExactly("e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9");
    String next = await(again.append(entry("new", "", 0))).entryId();
    assertThat(ids).allMatch(id -> id.compareTo(next) < 0);
  }

  @Test
  void entriesAreNotPolledBeforeTheyAreDue() {
    Backend backend = backend("due", false);
    long now = System.currentTimeMillis();
    await(backend.append(entry("later", "", now + 60_000)));
    await(backend.append(entry("now", "", now)));
    List<Lease> polled = await(backend.poll(10));
    assertThat(polled).extracting(l -> l.entry().getPayload().toStringUtf8()).containsExactly("now");
    assertThat(await(backend.poll(10))).isEmpty();
  }

  @Test
  void orderedNamespacesHoldLaterEntriesOfAKeyBehindARetry() {
    Backend backend = backend("ordered", true);
    await(backend.append(entry("a1", "a", 0)));
    await(backend.append(entry("a2", "a", 0)));
    await(backend.append(entry("b1", "b", 0)));
    List<Lease> first = await(backend.poll(10));
    assertThat(first).extracting(l -> l.entry().getPayload().toStringUtf8()).containsExactly("a1", "b1");
    Lease a1 = first.get(0);
    await(backend.retry(a1, a1.entry().toBuilder().setAttempts(1).setDueAtMs(System.currentTimeMillis() + 200).build()));
    assertThat(await(backend.poll(10))).as("a2 waits behind a1's retry").isEmpty();
    Assertions.assertThat(pollUntilNonEmpty(backend)).extracting(l -> l.entry().getPayload().toStringUtf8()).containsExactly("a1");
  }

  private List<Lease> pollUntilNonEmpty(Backend backend) {
    for (int i = 0; i < 100; i++) {
      List<Lease> leases = await(backend.poll(10));
      if (!leases.isEmpty()) {
        return leases;
      }
      vertxSleep(20);
    }
    return List.of();
  }

  @Test
  void anIdempotencyKeyIsStoredOnceAcrossARestart() {
    Backend backend = backend("dedupe", false);
    EntryRecord first = entry("pay", "", 0).toBuilder().setIdempotencyKey("k-1").build();
    AppendResult a = await(backend.append(first));
    reopen();
    Backend again = backend("dedupe", false);
    AppendResult b = await(again.append(first));
    assertThat(b.entryId()).isEqualTo(a.entryId());
    assertThat(b.duplicate()).isTrue();
    assertThat(((CountingBackend) again).stats().pending()).isEqualTo(1);
  }

  @Test
  void idempotencyKeysAreForgottenAfterTheWindow() {
    Backend backend = await(factory.open(new BackendSpec("window", new JsonObject(), "backend.config", false, Duration.ofMillis(100))));
    long old = System.currentTimeMillis() - 1_000;
    EntryRecord stale = entry("old", "", 0).toBuilder().setIdempotencyKey("k").setWriteTimeMs(old).build();
    String first = await(backend.append(stale)).entryId();
    assertThat(await(((LocalBackend) backend).sweepIdempotencyKeys())).isEqualTo(1);
    AppendResult again = await(backend.append(stale.toBuilder().setWriteTimeMs(System.currentTimeMillis()).build()));
    assertThat(again.duplicate()).isFalse();
    assertThat(again.entryId()).isNotEqualTo(first);
  }

  @Test
  void namespacesAreIsolatedAndDestroyRemovesOnlyOne() {
    Backend one = backend("one", false);
    Backend two = backend("one-two", false);
    await(one.append(entry("x", "", 0)));
    await(two.append(entry("y", "", 0)));
    await(one.destroy());
    assertThat(((CountingBackend) backend("one", false)).stats().pending()).isZero();
    assertThat(((CountingBackend) two).stats().pending()).isEqualTo(1);
  }

  /**
   * A destroy drained into one group commit with tasks queued before it removes what they write in that batch (a DLQ
   * replay's first turn moving a dead letter back to the entries), and the replay's later turns, after it, write
   * nothing: the namespace opened again under the same name holds nothing of the destroyed one.
   */
  @Test
  void aDestroyRemovesWhatItsBatchWroteAndAReplayWalkingOnWritesNothing() throws Exception {
    LocalBackend backend = (LocalBackend) backend("gone", false);
    appendAll(backend, 5);
    for (Lease lease : await(backend.poll(5))) {
      await(backend.deadLetter(lease, lease.entry().toBuilder().setLastError("failed").build()));
    }
    int rowsPerTurn = Walk.rowsPerTurn;
    Walk.rowsPerTurn = 1; // the replay moves one dead letter per turn of the log thread
    java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    try {
      factory.log().submit(holding(held, release)); // the replay's first turn and the destroy queue up behind it
      assertThat(held.await(5, TimeUnit.SECONDS)).isTrue();
      Future<Integer> replayed = backend.replayDeadLetters(List.of());
      Future<Void> destroyed = backend.destroy();
      release.countDown();
      await(destroyed);
      Throwable walkedOn = replayed.toCompletionStage().toCompletableFuture()
          .handle((n, failure) -> failure).get(30, TimeUnit.SECONDS);
      assertThat(walkedOn).as("the replay's turns after the destroy are refused").isNotNull()
          .hasMessageContaining("namespace gone was deleted");
    } finally {
      release.countDown();
      Walk.rowsPerTurn = rowsPerTurn;
    }
    LocalBackend again = (LocalBackend) backend("gone", false);
    assertThat(again.stats().pending()).isZero();
    assertThat(again.stats().deadLetters()).isZero();
    assertThat(await(again.poll(10))).isEmpty();
    assertThat(await(again.listDeadLetters(10))).isEmpty();
  }

  /**
   * A backlog costs disk, not heap: the schedule keeps nothing in memory per pending entry, only the leases the
   * consumer holds. Twenty thousand entries over 500 keys, ordered by key, come out once due, each key in order, and
   * a restart counts them without loading them.
   */
  @Test
  void aBacklogIsScheduledOnDiskAndComesOutInKeyOrder() {
    Backend backend = backend("backlog", true);
    long dueAt = System.currentTimeMillis() + 1_500;
    List<Future<AppendResult>> appends = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      appends.add(backend.append(entry(Integer.toString(i), "k" + (i % 500), i < 500 ? dueAt : 0)));
    }
    await(Future.all(appends));
    assertThat(await(((LocalBackend) backend).scheduleInMemory())).as("nothing in memory per pending entry").isZero();
    assertThat(((CountingBackend) backend).stats().pending()).isEqualTo(20_000);

    reopen();
    Backend again = backend("backlog", true);
    awaitPending(again, 20_000); // counted after the open, 10,000 rows a turn

    assertThat(await(((LocalBackend) again).scheduleInMemory())).isZero();
    // each key's first entry (i < 500) is due later, the rest now: nothing of any key is delivered before its first
    assertThat(await(again.poll(100))).isEmpty();
    java.util.Map<String, Integer> lastOfKey = new java.util.HashMap<>();
    int delivered = 0;
    long deadline = System.currentTimeMillis() + 30_000;
    while (delivered < 20_000 && System.currentTimeMillis() < deadline) {
      List<Lease> leases = await(again.poll(500));
      assertThat(await(((LocalBackend) again).scheduleInMemory())).isEqualTo(leases.size());
      for (Lease lease : leases) {
        int i = Integer.parseInt(lease.entry().getPayload().toStringUtf8());
        Integer previous = lastOfKey.put(lease.entry().getKey(), i);
        assertThat(previous == null ? i : previous + 500).as("key %s in order", lease.entry().getKey()).isEqualTo(i);
        assertThat(lease.entry().getDueAtMs()).isLessThanOrEqualTo(System.currentTimeMillis());
      }
      await(again.ackAll(leases));
      delivered += leases.size();
      if (leases.isEmpty()) {
        vertxSleep(50);
      }
    }
    assertThat(delivered).isEqualTo(20_000);
    assertThat(((CountingBackend) again).stats().pending()).isZero();
    assertThat(await(((LocalBackend) again).scheduleInMemory())).isZero();
  }

  /**
   * The next entry of a key becomes deliverable when its head is settled in the same group commit as it is written:
   * each task reads the index through the batch, so it sees what the tasks before it wrote.
   */
  @Test
  void anEntryWrittenInTheSameBatchAsItsKeysHeadIsSettledIsNotLost() {
    Backend backend = backend("same-batch", true);
    await(backend.append(entry("0", "k", 0)));
    for (int i = 1; i <= 50; i++) {
      List<Lease> head = await(backend.poll(10));
      assertThat(head).extracting(l -> l.entry().getPayload().toStringUtf8()).containsExactly(Integer.toString(i - 1));
      // queued back to back: the log thread drains both into one batch (most of the time)
      Future<Void> acked = backend.ackAll(head);
      Future<AppendResult> next = backend.append(entry(Integer.toString(i), "k", 0));
      await(Future.all(acked, next));
    }
    assertThat(await(backend.poll(10))).extracting(l -> l.entry().getPayload().toStringUtf8()).containsExactly("50");
  }

  /**
   * The consumer is woken when a delayed entry falls due, not at its next periodic poll (which may be minutes away),
   * and never before: the backend calls its listener at the due time.
   */
  @Test
  void theConsumerIsWokenWhenADelayedEntryFallsDue() {
    Backend backend = backend("wake", false);
    List<Long> wokenAt = new java.util.concurrent.CopyOnWriteArrayList<>();
    backend.onAvailable(() -> wokenAt.add(System.currentTimeMillis()));
    long dueAt = System.currentTimeMillis() + 400;
    await(backend.append(entry("later", "", dueAt)));
    assertThat(await(backend.poll(10))).isEmpty();
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !wokenAt.isEmpty());
    assertThat(wokenAt.get(0)).as("woken at its due time, not before").isBetween(dueAt, dueAt + 250);
    assertThat(await(backend.poll(10))).extracting(l -> l.entry().getPayload().toStringUtf8()).containsExactly("later");
  }

  /**
   * A poll reads only what earlier batches made durable, so it does not wait for the write and fsync of the batch it is
   * drained with: here that batch's other task holds the log thread in its prepare, and the poll is answered anyway.
   */
  @Test
  void aPollDoesNotWaitForTheBatchItIsDrainedWith() throws Exception {
    Backend backend = backend("reads", false);
    await(backend.append(entry("stored", "", 0)));
    java.util.concurrent.CountDownLatch inFirst = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch releaseFirst = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch releaseSecond = new java.util.concurrent.CountDownLatch(1);
    try {
      factory.log().submit(holding(inFirst, releaseFirst)); // holds the log thread while the next tasks queue up
      assertThat(inFirst.await(5, TimeUnit.SECONDS)).isTrue();
      factory.log().submit(holding(new java.util.concurrent.CountDownLatch(1), releaseSecond));
      Future<List<Lease>> polled = backend.poll(10);
      releaseFirst.countDown(); // the log thread drains the second task and the poll together
      List<Lease> leases = polled.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
      assertThat(leases).extracting(l -> l.entry().getPayload().toStringUtf8()).containsExactly("stored");
    } finally {
      releaseFirst.countDown();
      releaseSecond.countDown();
    }
  }

  /** Queues a task that writes nothing; answers what {@code read} sees when the log thread completes it. */
  private <T> java.util.concurrent.CompletableFuture<T> readBehind(java.util.function.Supplier<T> read) {
    java.util.concurrent.CompletableFuture<T> seen = new java.util.concurrent.CompletableFuture<>();
    factory.log().submit(new LogTask() {
      @Override
      public boolean prepare(LocalLog.Batch batch) {
        return false;
      }

      @Override
      public void complete(Throwable failure) {
        seen.complete(read.get());
      }
    });
    return seen;
  }

  /** A task that writes nothing and holds the log thread in its prepare until released. */
  private static LogTask holding(java.util.concurrent.CountDownLatch entered,
                                 java.util.concurrent.CountDownLatch release) {
    return new LogTask() {
      @Override
      public boolean prepare(LocalLog.Batch batch) throws Exception {
        entered.countDown();
        release.await(30, TimeUnit.SECONDS);
        return false;
      }

      @Override
      public void complete(Throwable failure) {
      }
    };
  }

  /**
   * Opening a namespace counts its backlog a turn of the log thread at a time: the open counts one turn's rows, a write
   * queued behind the open does not wait for the rest, and the figures end exact, with the writes made meanwhile.
   */
  @Test
  void aLargeBacklogIsCountedATurnAtATimeAfterItOpens() throws Exception {
    Backend backend = backend("large", false);
    appendAll(backend, 3_000);
    List<Lease> dead = await(backend.poll(200));
    for (Lease lease : dead) {
      await(backend.deadLetter(lease, lease.entry().toBuilder().setLastError("gone").build()));
    }
    reopen();
    int rowsPerTurn = BacklogCount.rowsPerTurn;
    BacklogCount.rowsPerTurn = 100;
    java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    try {
      factory.log().submit(holding(held, release)); // the open and the task behind it queue up together
      assertThat(held.await(5, TimeUnit.SECONDS)).isTrue();
      LocalBackend again = new LocalBackend(vertx, factory.log(),
          new BackendSpec("large", new JsonObject(), "backend.config", false, Duration.ofHours(1)));
      Future<Backend> opened = again.load();
      java.util.concurrent.CompletableFuture<Long> seenBehindTheOpen = readBehind(() -> again.stats().pending());
      release.countDown();
      await(opened);
      assertThat(seenBehindTheOpen.get(5, TimeUnit.SECONDS)).as("pending counted when the next task ran").isEqualTo(100);

      await(again.append(entry("meanwhile", "", 0)));
      awaitPending(again, 2_801);
      // the dead letters are counted after the pending entries, in turns of their own
      awaitStat(again, io.walmesh.spi.backend.BackendStats::deadLetters, 200);
      assertThat(await(again.poll(5_000))).hasSize(2_801);
    } finally {
      release.countDown();
      BacklogCount.rowsPerTurn = rowsPerTurn;
    }
  }

  /**
   * While the backlog is being counted, entries not yet counted can be acknowledged: the count so far minus those acks
   * is below what is held, even below zero. Pending then reads at least 1 (a zero must mean nothing would be dropped)
   * and is exact once the count ends.
   */
  @Test
  void pendingIsNeverZeroWhileEntriesMayBeUncounted() {
    Backend backend = backend("acked", false);
    appendAll(backend, 300);
    reopen();
    int rowsPerTurn = BacklogCount.rowsPerTurn;
    BacklogCount.rowsPerTurn = 0; // the count makes no progress until the test lets it
    try {
      Backend again = backend("acked", false);
      List<Lease> leases = await(again.poll(300));
      assertThat(leases).hasSize(300);
      await(again.ackAll(leases.subList(0, 299)));
      assertThat(((CountingBackend) again).stats().pending()).as("one entry is still held").isEqualTo(1);
      assertThat(((CountingBackend) again).stats().deadLetters()).isZero();
      await(again.ack(leases.get(299)));
      assertThat(((CountingBackend) again).stats().pending()).as("a lower bound while counting").isEqualTo(1);
      BacklogCount.rowsPerTurn = 100;
      long deadline = System.currentTimeMillis() + 10_000;
      while (((CountingBackend) again).stats().pending() != 0 && System.currentTimeMillis() < deadline) {
        vertxSleep(10);
      }
      assertThat(((CountingBackend) again).stats().pending()).as("exact once counted").isZero();
    } finally {
      BacklogCount.rowsPerTurn = rowsPerTurn;
    }
  }

  /** A namespace closed before its count is done stops counting: the log closes cleanly and the next open counts it all. */
  @Test
  void aNamespaceClosedWhileItIsCountedIsCountedAgainWhenItOpens() {
    Backend backend = backend("closing", false);
    appendAll(backend, 2_000);
    reopen();
    int rowsPerTurn = BacklogCount.rowsPerTurn;
    BacklogCount.rowsPerTurn = 1;
    try {
      Backend again = backend("closing", false);
      await(again.close());
      reopen(); // closes the log: a snapshot still held would make RocksDB refuse or crash
    } finally {
      BacklogCount.rowsPerTurn = rowsPerTurn;
    }
    assertThat(((CountingBackend) backend("closing", false)).stats().pending()).isEqualTo(2_000);
  }

  /**
   * Dead letters are replayed and purged a turn of the log thread at a time: chosen ids are found across turns, and
   * one dead-lettered after a replay began (as a replayed entry that fails again would be) waits for the next replay.
   */
  @Test
  void deadLettersAreReplayedAndPurgedInTurns() throws Exception {
    LocalBackend backend = (LocalBackend) backend("dlq", false);
    appendAll(backend, 251);
    List<Lease> leases = await(backend.poll(251));
    List<String> ids = new ArrayList<>();
    for (Lease lease : leases.subList(0, 250)) {
      ids.add(lease.entry().getEntryId());
      await(backend.deadLetter(lease, lease.entry().toBuilder().setLastError("gone").build()));
    }
    Lease last = leases.get(250);
    int rowsPerTurn = Walk.rowsPerTurn;
    Walk.rowsPerTurn = 100;
    java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    try {
      assertThat(await(backend.replayDeadLetters(List.of(ids.get(5), ids.get(240))))).isEqualTo(2);
      assertThat(await(backend.purgeDeadLetters(ids.subList(100, 150)))).isEqualTo(50);
      assertThat(backend.stats().deadLetters()).isEqualTo(198);

      factory.log().submit(holding(held, release)); // the replay's first turn and the next dead letter queue up together
      assertThat(held.await(5, TimeUnit.SECONDS)).isTrue();
      Future<Integer> replayed = backend.replayDeadLetters(List.of());
      Future<Void> deadAfter = backend.deadLetter(last, last.entry().toBuilder().setLastError("again").build());
      release.countDown();
      assertThat(await(replayed)).isEqualTo(198);
      await(deadAfter);
      assertThat(await(backend.listDeadLetters(10))).extracting(EntryRecord::getEntryId)
          .containsExactly(last.entry().getEntryId());
      assertThat(backend.stats().deadLetters()).isEqualTo(1);
      assertThat(backend.stats().pending()).isEqualTo(200);
      Set<String> again = new HashSet<>();
      for (Lease lease : await(backend.poll(500))) {
        again.add(lease.entry().getEntryId());
      }
      Set<String> expected = new HashSet<>(ids);
      expected.removeAll(ids.subList(100, 150));
      assertThat(again).isEqualTo(expected);
    } finally {
      release.countDown();
      Walk.rowsPerTurn = rowsPerTurn;
    }
  }

  /**
   * The sweeps of retained entries and idempotency keys walk a turn of the log thread at a time: a task queued behind
   * a sweep's first turn runs with only that turn's rows deleted, and the sweeps end having deleted exactly the old rows.
   */
  @Test
  void sweepsWalkATurnAtATimeAndDeleteOnlyOldRows() throws Exception {
    LocalBackend kept = (LocalBackend) await(factory.open(new BackendSpec("swept",
        new JsonObject().put("retention-ms", 3_600_000), "backend.config", false, Duration.ofMinutes(10))));
    long old = System.currentTimeMillis() - 7_200_000;
    List<Future<AppendResult>> appends = new ArrayList<>();
    for (int i = 0; i < 260; i++) { // 250 written two hours ago, then 10 now; each with an idempotency key
      long writtenAt = i < 250 ? old + i : System.currentTimeMillis();
      appends.add(kept.append(entry("e" + i, "", 0).toBuilder().setIdempotencyKey("key-" + i).setWriteTimeMs(writtenAt)
          .build()));
    }
    await(Future.all(appends));
    await(kept.ackAll(await(kept.poll(500))));
    assertThat(rows(factory.log().delivered, "swept")).isEqualTo(260);

    int rowsPerTurn = Walk.rowsPerTurn;
    Walk.rowsPerTurn = 100;
    java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    try {
      factory.log().submit(holding(held, release)); // the sweep's first turn and the task behind it queue up together
      assertThat(held.await(5, TimeUnit.SECONDS)).isTrue();
      Future<Integer> swept = kept.sweepRetained();
      java.util.concurrent.CompletableFuture<Long> leftBehindTheFirstTurn =
          readBehind(() -> rows(factory.log().delivered, "swept"));
      release.countDown();
      assertThat(leftBehindTheFirstTurn.get(5, TimeUnit.SECONDS)).as("retained rows when the next task ran").isEqualTo(160);
      assertThat(await(swept)).isEqualTo(250);
      assertThat(rows(factory.log().delivered, "swept")).as("the ten written now are kept").isEqualTo(10);

      // idempotency keys are kept by key, not age: the sweep reads all 260 and forgets only the 250 old ones
      assertThat(await(kept.sweepIdempotencyKeys())).isEqualTo(250);
      assertThat(rows(factory.log().idempotency, "swept")).isEqualTo(10);
    } finally {
      release.countDown();
      Walk.rowsPerTurn = rowsPerTurn;
    }
  }

  /** Appends {@code count} entries, due now, without a key, with payloads "0", "1", ...; waits until all are stored. */
  private static void appendAll(Backend backend, int count) {
    List<Future<AppendResult>> appends = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      appends.add(backend.append(entry(Integer.toString(i), "", 0)));
    }
    await(Future.all(appends));
  }

  /** Waits up to 10 s for the backend's pending count to reach {@code expected}, then asserts it is exactly that. */
  private static void awaitPending(Backend backend, long expected) {
    awaitStat(backend, io.walmesh.spi.backend.BackendStats::pending, expected);
  }

  /** Waits up to 10 s for a figure of the backend's stats, counted up a turn at a time, to reach {@code expected}. */
  private static void awaitStat(Backend backend, java.util.function.ToLongFunction<io.walmesh.spi.backend.BackendStats> figure,
                                long expected) {
    long deadline = System.currentTimeMillis() + 10_000;
    while (figure.applyAsLong(((CountingBackend) backend).stats()) < expected && System.currentTimeMillis() < deadline) {
      vertxSleep(10);
    }
    assertThat(figure.applyAsLong(((CountingBackend) backend).stats())).isEqualTo(expected);
  }

  /** The rows of {@code namespace} in a column family of the test's log. */
  private long rows(org.rocksdb.ColumnFamilyHandle family, String namespace) {
    byte[] prefix = Keys.prefix(namespace);
    long count = 0;
    try (org.rocksdb.RocksIterator it = factory.log().iterator(family)) {
      for (it.seek(prefix); it.isValid() && Keys.startsWith(it.key(), prefix); it.next()) {
        count++;
      }
    }
    return count;
  }

  /** A retry of an entry already delivered does not bring it back, now or after a restart. */
  @Test
  void aRetryAfterTheEntryWasAcknowledgedDoesNotBringItBack() {
    Backend backend = backend("settled", false);
    await(backend.append(entry("once", "", 0)));
    Lease lease = await(backend.poll(10)).get(0);
    await(backend.ack(lease));
    await(backend.retry(lease, lease.entry().toBuilder().setAttempts(1).setDueAtMs(0).build()));
    assertThat(await(backend.poll(10))).isEmpty();
    assertThat(((CountingBackend) backend).stats().pending()).isZero();
    reopen();
    Backend again = backend("settled", false);
    assertThat(((CountingBackend) again).stats().pending()).isZero();
    assertThat(await(again.poll(10))).isEmpty();
  }

  /** A namespace whose ordering changed has its index built again from its entries when it opens. */
  @Test
  void theIndexIsBuiltAgainWhenTheNamespacesOrderingChanges() {
    Backend ordered = backend("reordered", true);
    for (String payload : List.of("a1", "a2", "b1")) {
      await(ordered.append(entry(payload, payload.substring(0, 1), 0)));
    }
    assertThat(await(ordered.poll(10))).extracting(l -> l.entry().getPayload().toStringUtf8())
        .containsExactly("a1", "b1");

    reopen();
    Backend unordered = backend("reordered", false);
    assertThat(await(unordered.poll(10))).extracting(l -> l.entry().getPayload().toStringUtf8())
        .containsExactly("a1", "a2", "b1");

    reopen();
    Backend orderedAgain = backend("reordered", true);
    List<Lease> heads = await(orderedAgain.poll(10));
    assertThat(heads).extracting(l -> l.entry().getPayload().toStringUtf8()).containsExactly("a1", "b1");
    await(orderedAgain.ack(heads.get(0)));
    assertThat(await(orderedAgain.poll(10))).extracting(l -> l.entry().getPayload().toStringUtf8()).containsExactly("a2");
  }

  /**
   * A log written before the schedule was on disk (entries, no index) has its index built from the entries at open:
   * nothing pending is lost, per-key order and due times hold.
   */
  @Test
  void aLogWithoutTheIndexHasItBuiltFromItsEntries() {
    Backend backend = backend("upgraded", true);
    long later = System.currentTimeMillis() + 3_600_000;
    await(backend.append(entry("a1", "a", 0)));
    await(backend.append(entry("a2", "a", 0)));
    await(backend.append(entry("x", "", later)));
    await(backend.append(entry("y", "", 0)));
    await(Future.fromCompletionStage(factory.log().dropScheduleIndex("upgraded")));

    reopen();
    Backend again = backend("upgraded", true);
    assertThat(((CountingBackend) again).stats().pending()).isEqualTo(4);
    List<Lease> due = await(again.poll(10));
    assertThat(due).extracting(l -> l.entry().getPayload().toStringUtf8()).containsExactly("a1", "y");
    await(again.ackAll(due));
    assertThat(await(again.poll(10))).extracting(l -> l.entry().getPayload().toStringUtf8()).containsExactly("a2");
  }

  /**
   * A replay is written in one batch, so one covering more than the most one replay requeues (here 3) is refused
   * whole, with a message naming the limit and what to do; a shorter range is replayed.
   */
  @Test
  void aReplayOverItsLimitIsRefusedWholeAndAShorterOneIsReplayed() {
    System.setProperty(Replays.MAX_REPLAY_PROPERTY, "3");
    try {
      Backend kept = await(factory.open(new BackendSpec("kept", new JsonObject().put("retention-ms", 3_600_000),
          "backend.config", false, Duration.ofHours(1))));
      long start = System.currentTimeMillis();
      for (int i = 0; i < 5; i++) {
        await(kept.append(entry("delivered" + i, "", 0).toBuilder().setWriteTimeMs(start + i * 1_000).build()));
      }
      List<Lease> due = await(kept.poll(10));
      assertThat(due).hasSize(5);
      await(kept.ackAll(due));
      io.walmesh.spi.backend.ReplayableBackend replayable = (io.walmesh.spi.backend.ReplayableBackend) kept;

      Throwable refused = failure(replayable.replay(new io.walmesh.spi.backend.ReplayRequest(0, Long.MAX_VALUE, "",
          false, Set.of())));
      assertThat(refused).isInstanceOf(io.walmesh.spi.backend.AppendException.class)
          .hasMessageContaining("replay of namespace kept refused", "more than 3 delivered entries",
              Replays.MAX_REPLAY_PROPERTY, "nothing was requeued", "docs/limits.md#local-backend");
      assertThat(((CountingBackend) kept).stats().pending()).as("nothing requeued").isZero();
      assertThat(await(kept.poll(10))).isEmpty();

      io.walmesh.spi.backend.ReplayStatus replayed = await(replayable.replay(new io.walmesh.spi.backend.ReplayRequest(
          start, start + 2_001, "", false, Set.of())));
      assertThat(replayed.queued()).isEqualTo(3);
      List<Lease> again = await(kept.poll(10));
      assertThat(again).extracting(l -> l.entry().getPayload().toStringUtf8())
          .containsExactly("delivered0", "delivered1", "delivered2");
      await(kept.ack(again.get(0)));
      assertThat(await(replayable.replayStatus(replayed.id())).remaining()).isEqualTo(2);
    } finally {
      System.clearProperty(Replays.MAX_REPLAY_PROPERTY);
    }
  }

  private static Throwable failure(Future<?> future) {
    try {
      future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    throw new AssertionError("expected the append to be refused");
  }

  /** A listing of dead letters stops at the one that takes it past 4 MiB of payloads, however many were asked for. */
  @Test
  void aListingOfLargeDeadLettersStopsAtItsByteLimit() {
    Backend backend = backend("large-dlq", false);
    String mebibyte = "x".repeat(1 << 20);
    for (int i = 0; i < 6; i++) {
      await(backend.append(entry(mebibyte, "", 0)));
    }
    for (Lease lease : await(backend.poll(10))) {
      await(backend.deadLetter(lease, lease.entry()));
    }
    List<EntryRecord> listed = await(((LocalBackend) backend).listDeadLetters(100));
    assertThat(listed).as("4 MiB and a little: the fourth crosses the limit").hasSize(4);
    assertThat(((CountingBackend) backend).stats().deadLetters()).isEqualTo(6);
  }

  /** A replay's batch holds its entries' payloads: one covering more bytes than the limit is refused whole. */
  @Test
  void aReplayOverItsByteLimitIsRefusedWhole() {
    System.setProperty(Replays.MAX_REPLAY_BYTES_PROPERTY, "2048");
    try {
      Backend kept = await(factory.open(new BackendSpec("kept-bytes", new JsonObject().put("retention-ms", 3_600_000),
          "backend.config", false, Duration.ofHours(1))));
      long start = System.currentTimeMillis();
      String kilobyte = "x".repeat(1_024);
      for (int i = 0; i < 3; i++) {
        await(kept.append(entry(kilobyte + i, "", 0).toBuilder().setWriteTimeMs(start + i).build()));
      }
      await(kept.ackAll(await(kept.poll(10))));
      io.walmesh.spi.backend.ReplayableBackend replayable = (io.walmesh.spi.backend.ReplayableBackend) kept;

      Throwable refused = failure(replayable.replay(new io.walmesh.spi.backend.ReplayRequest(0, Long.MAX_VALUE, "",
          false, Set.of())));
      assertThat(refused).isInstanceOf(io.walmesh.spi.backend.AppendException.class)
          .hasMessageContaining("replay of namespace kept-bytes refused", "more than 2048 bytes of delivered entries",
              Replays.MAX_REPLAY_BYTES_PROPERTY, "nothing was requeued");
      assertThat(((CountingBackend) kept).stats().pending()).as("nothing requeued").isZero();

      assertThat(await(replayable.replay(new io.walmesh.spi.backend.ReplayRequest(start, start + 1, "", false,
          Set.of()))).queued()).isEqualTo(1);
    } finally {
      System.clearProperty(Replays.MAX_REPLAY_BYTES_PROPERTY);
    }
  }

  @Test
  void theBackendTakesNoOptions() {
    Assertions.assertThatThrownBy(() -> factory.validate(new BackendSpec("x", new JsonObject().put("sync", false),
            "backend.config", false, Duration.ZERO)))
        .isInstanceOf(ConfigException.class).hasMessageContaining("backend.config.sync: unknown field");
  }

  private static void vertxSleep(long ms) {
    try {
      TimeUnit.MILLISECONDS.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e.getCause() == null ? e : e.getCause());
    }
  }
}
