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
   * The node's local namespaces hold their pending entries in memory, so they share a limit sized from the heap
   * (here set to 5): past it an append is refused, certainly not stored, with a message naming the limit and what to
   * do; entries that settle free their places; after a restart the limit still holds, since the loaded schedule
   * counts against it; destroying a namespace frees its places.
   */
  @Test
  void appendsPastThePendingLimitAreRefusedNotStoredAndPlacesFreeAsEntriesSettle() {
    System.setProperty(PendingBudget.PROPERTY, "5");
    try {
      reopen();
      Backend later = backend("full-later", false);
      Backend now = backend("full-now", false);
      for (int i = 0; i < 3; i++) {
        await(later.append(entry("later" + i, "", System.currentTimeMillis() + 3_600_000)));
      }
      await(now.append(entry("now0", "", 0)));
      await(now.append(entry("now1", "", 0)));

      Throwable refused = failure(later.append(entry("one too many", "", 0)));
      assertThat(refused).isInstanceOf(io.walmesh.spi.backend.AppendException.class);
      assertThat(((io.walmesh.spi.backend.AppendException) refused).kind())
          .isEqualTo(io.walmesh.spi.backend.AppendException.Kind.NOT_STORED);
      assertThat(refused.getMessage()).contains("namespace full-later", "5 pending entries in memory",
          "the entry was not stored", "-Xmx", "docs/limits.md#local-backend");
      assertThat(((CountingBackend) later).stats().pending()).as("the refused entry is not stored").isEqualTo(3);

      // a delivered entry frees its place
      List<Lease> due = await(now.poll(10));
      assertThat(due).hasSize(2);
      await(now.ack(due.get(0)));
      await(later.append(entry("fits again", "", 0)));
      assertThat(failure(now.append(entry("full again", "", 0)))).hasMessageContaining("5 pending entries");

      // after a restart the schedules are loaded from disk and count against the limit again
      reopen();
      Backend laterAgain = backend("full-later", false);
      Backend nowAgain = backend("full-now", false);
      assertThat(((CountingBackend) laterAgain).stats().pending() + ((CountingBackend) nowAgain).stats().pending())
          .isEqualTo(5);
      assertThat(failure(nowAgain.append(entry("still full", "", 0)))).hasMessageContaining("5 pending entries");
      await(laterAgain.destroy());
      await(nowAgain.append(entry("room after a delete", "", 0)));
    } finally {
      System.clearProperty(PendingBudget.PROPERTY);
    }
  }

  @Test
  void aReplayThatWouldPassThePendingLimitIsRefusedWholeAndFreesWhatItReserved() {
    System.setProperty(PendingBudget.PROPERTY, "6");
    try {
      reopen();
      Backend kept = await(factory.open(new BackendSpec("kept", new JsonObject().put("retention-ms", 3_600_000),
          "backend.config", false, Duration.ofHours(1))));
      for (int i = 0; i < 4; i++) {
        await(kept.append(entry("delivered" + i, "", 0)));
      }
      List<Lease> due = await(kept.poll(10));
      assertThat(due).hasSize(4);
      await(kept.ackAll(due));
      io.walmesh.spi.backend.ReplayableBackend replayable = (io.walmesh.spi.backend.ReplayableBackend) kept;
      io.walmesh.spi.backend.ReplayRequest all = new io.walmesh.spi.backend.ReplayRequest(0, Long.MAX_VALUE, "", false,
          java.util.Set.of());

      assertThat(await(replayable.replay(all)).queued()).as("4 fit under a limit of 6").isEqualTo(4);
      await(kept.append(entry("pending", "", System.currentTimeMillis() + 3_600_000)));
      assertThat(((CountingBackend) kept).stats().pending()).isEqualTo(5);

      Throwable refused = failure(replayable.replay(all));
      assertThat(refused).isInstanceOf(io.walmesh.spi.backend.AppendException.class)
          .hasMessageContaining("replay of namespace kept refused", "6 entries in memory", "1 more would fit",
              "nothing was requeued", "docs/limits.md#local-backend");
      assertThat(((CountingBackend) kept).stats().pending()).as("nothing requeued").isEqualTo(5);
      await(kept.append(entry("the last place", "", System.currentTimeMillis() + 3_600_000)));
      assertThat(failure(kept.append(entry("one too many", "", 0)))).as("the refused replay holds no places")
          .hasMessageContaining("6 pending entries");
    } finally {
      System.clearProperty(PendingBudget.PROPERTY);
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
