package io.walmesh.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.entry.EntryRecord;
import io.walmesh.spi.PluginContext;
import io.walmesh.spi.backend.AppendResult;
import io.walmesh.spi.backend.Backend;
import io.walmesh.spi.backend.CountingBackend;
import io.walmesh.spi.backend.DeadLetterBackend;
import io.walmesh.spi.backend.BackendFactory;
import io.walmesh.spi.backend.BackendSpec;
import io.walmesh.spi.backend.Lease;
import io.walmesh.spi.config.ConfigException;
import io.walmesh.testkit.BackendProbe.Polled;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract every backend keeps (the numbered MUSTs of {@link Backend}), as one abstract JUnit 5
 * suite. A backend module's test extends it, says how to make its factory and a fresh namespace's
 * {@code backend.config} on a real server, and declares what its type does not promise; the suite
 * does the rest, calling the backend from one event-loop context as the node's consumer does.
 *
 * <p>Clauses: durable acknowledgement, never early, per-key order (a failing key holds back only
 * itself), lease / ack / retry, dead letters, idempotent appends, restart.
 */
public abstract class BackendContract {
  private static Vertx vertx;

  /** The node's data directory of one test; it survives {@link #restart}. */
  @TempDir
  protected Path dataDir;
  private BackendFactory factory;
  protected BackendProbe probe;
  private String namespace;
  private final List<Backend> opened = new ArrayList<>();

  // ---- what a backend's test supplies ----

  /** A new, not yet initialised factory of the backend type under test. */
  protected abstract BackendFactory newFactory();

  /** The {@code backend.config} of a fresh namespace named {@code namespace} on the real server. */
  protected abstract JsonObject config(String namespace);

  /**
   * Whether the backend keeps per-key order. A backend that does not MUST refuse (in
   * {@link BackendFactory#validate}) a namespace that asks for it; the kit checks that instead.
   */
  protected abstract boolean keepsPerKeyOrder();

  /** How long an appended or released entry may take to show up in a poll (fetch latency, lease expiry). */
  protected Duration pollLatency() {
    return Duration.ofSeconds(10);
  }

  /**
   * Restarts the backend: closes it and its factory, then opens it again with a new factory on the
   * same data directory, as a node restart does. Override when the type needs more.
   */
  protected Backend restart(Backend backend, BackendSpec spec) {
    probe.call(backend::close);
    opened.remove(backend);
    probe.call(factory::close);
    factory = newFactory();
    probe.call(() -> factory.init(context()));
    return open(spec);
  }

  // ---- fixture ----

  @BeforeAll
  public static void startVertx() {
    // at least four event loops, as a node on two cores has: the concurrent-append test puts its callers on three
    vertx = Vertx.vertx(new io.vertx.core.VertxOptions().setEventLoopPoolSize(
        Math.max(4, 2 * Runtime.getRuntime().availableProcessors())));
  }

  @AfterAll
  public static void stopVertx() {
    BackendProbe.await(vertx.close());
  }

  /** The Vert.x instance the kit runs the backend on. */
  protected static Vertx vertx() {
    return vertx;
  }

  @BeforeEach
  public void initFactory(TestInfo test) {
    String method = test.getTestMethod().map(m -> m.getName()).orElse("test");
    namespace = ("c-" + method.substring(0, Math.min(24, method.length())) + "-"
        + UUID.randomUUID().toString().substring(0, 8)).toLowerCase();
    probe = new BackendProbe(vertx.getOrCreateContext());
    factory = newFactory();
    probe.call(() -> factory.init(context()));
  }

  @AfterEach
  public void closeAll() {
    for (Backend backend : opened) {
      probe.call(backend::close);
    }
    opened.clear();
    probe.call(factory::close);
  }

  private PluginContext context() {
    return new PluginContext(vertx, dataDir, "contract-node");
  }

  /** The spec of this test's namespace: its own queue, a one-hour dedupe window. */
  protected BackendSpec spec(boolean orderedByKey) {
    return new BackendSpec(namespace, config(namespace), "backend.config", orderedByKey, Duration.ofHours(1));
  }

  protected Backend open(BackendSpec spec) {
    factory.validate(spec);
    Backend backend = probe.call(() -> factory.open(spec));
    opened.add(backend);
    return backend;
  }

  protected EntryRecord entry(String key, String payload, long dueAtMs) {
    return EntryRecord.newBuilder().setNamespace(namespace).setKey(key).setPayload(ByteString.copyFromUtf8(payload))
        .setWriteTimeMs(System.currentTimeMillis()).setDueAtMs(dueAtMs).putHeaders("h", payload).build();
  }

  protected String append(Backend backend, EntryRecord entry) {
    return probe.call(() -> backend.append(entry)).entryId();
  }

  // ---- durable acknowledgement ----

  @Test
  public void everyAcknowledgedAppendIsPolledAfterARestartWithItsIdAndContent() {
    BackendSpec spec = spec(false);
    Backend backend = open(spec);
    List<Future<AppendResult>> appends = new ArrayList<>();
    List<String> payloads = new ArrayList<>();
    probe.call(() -> {
      for (int i = 0; i < 20; i++) {
        payloads.add("durable-" + i);
        appends.add(backend.append(entry("k" + (i % 3), "durable-" + i, 0)));
      }
      return Future.all(appends);
    });
    Set<String> ids = new HashSet<>();
    appends.forEach(a -> ids.add(a.result().entryId()));
    assertThat(ids).as("each acknowledged append has its own entry id").hasSize(20);

    Backend again = restart(backend, spec);
    List<Polled> polled = probe.pollUntilPayloads(again, pollLatency(), payloads.toArray(String[]::new));
    for (int i = 0; i < 20; i++) {
      Polled p = BackendProbe.find(polled, "durable-" + i);
      assertThat(p.lease().entry().getEntryId()).isEqualTo(appends.get(i).result().entryId());
      assertThat(p.lease().entry().getKey()).isEqualTo("k" + (i % 3));
      assertThat(p.lease().entry().getHeadersMap()).containsEntry("h", "durable-" + i);
      assertThat(p.lease().entry().getNamespace()).isEqualTo(namespace);
    }
  }

  // ---- appended together ----

  @Test
  public void entriesAppendedTogetherAreEachStoredOnceInOrderAndAnsweredOnTheCallersContext() {
    boolean ordered = keepsPerKeyOrder();
    BackendSpec spec = spec(ordered);
    Backend backend = open(spec);
    List<EntryRecord> entries = List.of(
        entry("a", "together-a1", 0),
        entry("a", "together-a2", 0),
        entry("b", "together-b1", 0),
        entry("", "together-once", 0).toBuilder().setIdempotencyKey("together-1").build(),
        entry("", "together-once-again", 0).toBuilder().setIdempotencyKey("together-1").build(),
        entry("", "together-plain", 0));
    AppendResult[] results = new AppendResult[entries.size()];
    int[] calls = new int[entries.size()];
    List<String> wrongContext = new ArrayList<>();
    probe.call(() -> {
      io.vertx.core.Context caller = vertx.getOrCreateContext();
      io.vertx.core.Promise<Void> all = io.vertx.core.Promise.promise();
      int[] outstanding = {entries.size()};
      backend.appendAll(entries, (index, outcome) -> {
        calls[index]++;
        if (io.vertx.core.Vertx.currentContext() != caller) {
          wrongContext.add(index + " on " + Thread.currentThread().getName());
        }
        if (outcome.failed()) {
          all.tryFail(outcome.cause());
          return;
        }
        results[index] = outcome.result();
        if (--outstanding[0] == 0) {
          all.complete();
        }
      });
      return all.future();
    });
    assertThat(calls).as("each entry's outcome is handed over exactly once").containsOnly(1);
    assertThat(wrongContext).as("outcomes come on the context that called appendAll").isEmpty();
    assertThat(results[4].duplicate()).as("the second entry with an idempotency key in the same call is a duplicate")
        .isTrue();
    assertThat(results[4].entryId()).isEqualTo(results[3].entryId());
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < results.length; i++) {
      if (i != 4) {
        assertThat(results[i].duplicate()).as("entry %d is new", i).isFalse();
        ids.add(results[i].entryId());
      }
    }
    assertThat(ids).as("each stored entry has its own id").hasSize(5);

    Backend again = restart(backend, spec);
    List<String> expected = new ArrayList<>(List.of("together-a1", "together-b1", "together-once", "together-plain"));
    if (!ordered) {
      expected.add("together-a2");
    }
    List<Polled> first = probe.pollUntilPayloads(again, pollLatency(), expected.toArray(String[]::new));
    assertThat(BackendProbe.find(first, "together-a1").lease().entry().getEntryId()).isEqualTo(results[0].entryId());
    assertThat(BackendProbe.find(first, "together-once").lease().entry().getEntryId()).isEqualTo(results[3].entryId());
    if (ordered) {
      first.addAll(probe.assertNonePolled(again, Duration.ofMillis(500), "a2 waits while a1, appended before it in the"
          + " same call, is leased", p -> p.payload().equals("together-a2")));
      assertThat(first).extracting(Polled::payload).doesNotContain("together-a2");
      probe.call(() -> again.ack(BackendProbe.find(first, "together-a1").lease()));
      first.addAll(probe.pollUntilPayloads(again, pollLatency(), "together-a2"));
    }
    List<Polled> rest = new ArrayList<>(first);
    rest.addAll(probe.assertNonePolled(again, Duration.ofMillis(500), "the duplicate is not stored",
        p -> p.payload().equals("together-once-again")));
    assertThat(rest).extracting(Polled::payload).as("stored once").containsOnlyOnce("together-once")
        .doesNotContain("together-once-again");
  }

  /**
   * The node appends from the event loop that decoded a write when the backend says {@link
   * Backend#appendsFromAnyContext} (from the namespace's one producer context otherwise): each caller gets its outcomes
   * on its own context, every entry is stored once, and one idempotency key appended from every caller at once is
   * stored once, the others answering its id as duplicates.
   */
  @Test
  public void appendsFromEveryCallingContextAreAnsweredThereAndAKeyAppendedByAllAtOnceIsStoredOnce() {
    Backend backend = open(spec(false));
    int callers = backend.appendsFromAnyContext() ? 3 : 1;
    int each = 100;
    List<Future<List<AppendResult>>> perCaller = new ArrayList<>();
    List<String> wrongContext = new java.util.concurrent.CopyOnWriteArrayList<>();
    Set<String> callerThreads = java.util.concurrent.ConcurrentHashMap.newKeySet();
    // every caller appends the shared key at the same moment, each from an event loop of its own
    java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(callers);
    for (int c = 0; c < callers; c++) {
      // a context on the next event loop of the group: getOrCreateContext from this thread would stay on one loop
      io.vertx.core.Context caller = ((io.vertx.core.internal.VertxInternal) vertx).createEventLoopContext();
      io.vertx.core.Promise<List<AppendResult>> done = io.vertx.core.Promise.promise();
      int callerIndex = c;
      caller.runOnContext(v -> {
        callerThreads.add(Thread.currentThread().getName());
        try {
          together.await(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
          done.fail(e);
          return;
        }
        List<Future<AppendResult>> appends = new ArrayList<>();
        appends.add(backend.append(entry("", "shared-from-" + callerIndex, 0).toBuilder()
            .setIdempotencyKey("shared-1").build()));
        for (int i = 0; i < each; i++) {
          appends.add(backend.append(entry("", "caller-" + callerIndex + "-" + i, 0)));
        }
        appends.forEach(a -> a.onComplete(r -> {
          if (io.vertx.core.Vertx.currentContext() != caller) {
            wrongContext.add("caller " + callerIndex + " answered on " + Thread.currentThread().getName());
          }
        }));
        Future.all(appends).map(all -> appends.stream().map(Future::result).toList()).onComplete(done);
      });
      perCaller.add(done.future());
    }
    List<AppendResult> shared = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    List<String> payloads = new ArrayList<>();
    for (int c = 0; c < callers; c++) {
      List<AppendResult> results = BackendProbe.await(perCaller.get(c));
      shared.add(results.get(0));
      results.subList(1, results.size()).forEach(r -> ids.add(r.entryId()));
      for (int i = 0; i < each; i++) {
        payloads.add("caller-" + c + "-" + i);
      }
    }
    assertThat(callerThreads).as("each caller on an event loop of its own").hasSize(callers);
    assertThat(wrongContext).as("outcomes come on the context that appended").isEmpty();
    assertThat(ids).as("each stored entry has its own id").hasSize(callers * each);
    assertThat(shared).as("the key appended by every caller at once is stored by one").filteredOn(r -> !r.duplicate())
        .hasSize(1);
    assertThat(shared).extracting(AppendResult::entryId).as("and the others answer its id").containsOnly(
        shared.stream().filter(r -> !r.duplicate()).findFirst().orElseThrow().entryId());

    List<Polled> polled = probe.pollUntil(backend, pollLatency(), "every entry and the shared key's", got -> {
      List<String> seen = got.stream().map(Polled::payload).toList();
      return seen.containsAll(payloads) && seen.stream().anyMatch(p -> p.startsWith("shared-from-"));
    });
    polled.addAll(probe.assertNonePolled(backend, Duration.ofMillis(500), "an entry is leased once and a duplicate"
        + " not at all", p -> false));
    assertThat(polled).extracting(Polled::payload).as("every entry once").doesNotHaveDuplicates()
        .containsAll(payloads);
    assertThat(polled).extracting(Polled::payload).filteredOn(p -> p.startsWith("shared-from-")).as("the key once")
        .hasSize(1);
  }

  // ---- never early ----

  @Test
  public void anEntryIsNeverPolledBeforeItsDueTime() {
    Backend backend = open(spec(false));
    append(backend, entry("", "now", 0));
    Polled now = BackendProbe.find(probe.pollUntilPayloads(backend, pollLatency(), "now"), "now");
    probe.call(() -> backend.ack(now.lease()));
    long dueAt = System.currentTimeMillis() + 2_000;
    append(backend, entry("", "later", dueAt));
    Polled later = BackendProbe.find(probe.pollUntilPayloads(backend, pollLatency().plusMillis(2_000), "later"), "later");
    assertThat(later.atMs()).as("the delayed entry is polled at or after its due time").isGreaterThanOrEqualTo(dueAt);
    probe.call(() -> backend.ack(later.lease()));
  }

  // ---- per-key order ----

  @Test
  public void aFailingKeyHoldsBackOnlyItsOwnLaterEntries() {
    if (!keepsPerKeyOrder()) {
      assertThatThrownBy(() -> newFactory().validate(spec(true)))
          .as("a backend that does not keep per-key order refuses a namespace that asks for it")
          .isInstanceOf(ConfigException.class);
      return;
    }
    Backend backend = open(spec(true));
    append(backend, entry("a", "a1", 0));
    append(backend, entry("a", "a2", 0));
    append(backend, entry("b", "b1", 0));
    List<Polled> first = probe.pollUntilPayloads(backend, pollLatency(), "a1", "b1");
    assertThat(first).extracting(Polled::payload).as("a2 waits while a1 is leased").doesNotContain("a2");

    Polled a1 = BackendProbe.find(first, "a1");
    long retryAt = System.currentTimeMillis() + 1_500;
    probe.call(() -> backend.retry(a1.lease(), a1.lease().entry().toBuilder().setAttempts(1).setLastError("a failed")
        .setDueAtMs(retryAt).build()));
    append(backend, entry("b", "b2", 0));
    probe.call(() -> backend.ack(BackendProbe.find(first, "b1").lease()));
    List<Polled> meanwhile = probe.pollUntil(backend, pollLatency(), "key b goes on while a1 waits for its retry",
        got -> got.stream().anyMatch(p -> p.payload().equals("b2") || p.payload().equals("a2")));
    assertThat(meanwhile).extracting(Polled::payload).as("a2 never overtakes a1").doesNotContain("a2");
    probe.call(() -> backend.ack(BackendProbe.find(meanwhile, "b2").lease()));

    List<Polled> retried = probe.pollUntil(backend, pollLatency().plusMillis(1_500), "a1 comes back",
        got -> got.stream().anyMatch(p -> p.payload().startsWith("a")));
    assertThat(retried).extracting(Polled::payload).as("a1 comes back before a2").containsExactly("a1");
    assertThat(retried.get(0).atMs()).isGreaterThanOrEqualTo(retryAt);
    probe.assertNonePolled(backend, Duration.ofMillis(500), "a2 waits while a1 is leased again",
        p -> p.payload().equals("a2"));
    probe.call(() -> backend.ack(retried.get(0).lease()));
    probe.pollUntilPayloads(backend, pollLatency(), "a2");
  }

  // ---- lease, ack, retry ----

  /**
   * Writes of one key that a client sends without waiting (a stream, pipelined unary calls) are stored in the order
   * they came, whether or not they carry an idempotency key: the key's lookup must not let a later write overtake.
   */
  @Test
  public void writesOfOneKeyAppendedWithoutWaitingKeepTheirOrderWithOrWithoutIdempotencyKeys() {
    boolean ordered = keepsPerKeyOrder();
    Backend backend = open(spec(ordered));
    List<String> payloads = List.of("o1", "o2", "o3", "o4", "o5");
    List<EntryRecord> entries = List.of(
        entry("o", "o1", 0).toBuilder().setIdempotencyKey("order-1").build(),
        entry("o", "o2", 0),
        entry("o", "o3", 0).toBuilder().setIdempotencyKey("order-3").build(),
        entry("o", "o4", 0).toBuilder().setIdempotencyKey("order-4").build(),
        entry("o", "o5", 0));
    // handed over in one turn of the caller's event loop, one append each, as a stream's writes are
    List<AppendResult> results = probe.call(() -> Future.all(entries.stream().map(backend::append).toList())
        .map(all -> all.<AppendResult>list()));
    assertThat(results).extracting(AppendResult::duplicate).as("every write is new").containsOnly(false);
    if (!ordered) {
      probe.pollUntilPayloads(backend, pollLatency(), payloads.toArray(String[]::new));
      return;
    }
    for (String payload : payloads) {
      List<Polled> head = probe.pollUntil(backend, pollLatency(), "the head of key o",
          got -> got.stream().anyMatch(p -> p.payload().startsWith("o")));
      assertThat(head).extracting(Polled::payload).as("key o's entries come in the order they were appended")
          .containsExactly(payload);
      probe.call(() -> backend.ack(head.get(0).lease()));
    }
  }

  @Test
  public void aLeasedEntryIsNotPolledAgainAndAnAckedOneNever() {
    Backend backend = open(spec(false));
    append(backend, entry("", "e", 0));
    Polled e = BackendProbe.find(probe.pollUntilPayloads(backend, pollLatency(), "e"), "e");
    probe.assertNothingPolled(backend, Duration.ofMillis(700), "a leased entry is not polled again");
    probe.call(() -> backend.ack(e.lease()));
    probe.assertNothingPolled(backend, Duration.ofMillis(700), "an acknowledged entry is not polled again");
  }

  @Test
  public void aRetriedEntryComesBackAtItsNewDueTimeWithItsUpdatedRecord() {
    Backend backend = open(spec(false));
    String id = append(backend, entry("k", "r", 0));
    Polled first = BackendProbe.find(probe.pollUntilPayloads(backend, pollLatency(), "r"), "r");
    assertThat(first.lease().entry().getEntryId()).isEqualTo(id);
    long retryAt = System.currentTimeMillis() + 1_500;
    probe.call(() -> backend.retry(first.lease(), first.lease().entry().toBuilder().setAttempts(1)
        .setLastError("target answered 503").setDueAtMs(retryAt).build()));
    Polled again = BackendProbe.find(probe.pollUntilPayloads(backend, pollLatency().plusMillis(1_500), "r"), "r");
    assertThat(again.atMs()).as("not before the retry's due time").isGreaterThanOrEqualTo(retryAt);
    EntryRecord record = again.lease().entry();
    assertThat(record.getEntryId()).as("the entry id is kept across retries").isEqualTo(id);
    assertThat(record.getAttempts()).isEqualTo(1);
    assertThat(record.getLastError()).isEqualTo("target answered 503");
    assertThat(record.getKey()).isEqualTo("k");
    probe.call(() -> backend.ack(again.lease()));
  }

  // ---- dead letters ----

  @Test
  public void deadLettersAreListedWholeReplayedAndPurged() {
    Backend backend = open(spec(false));
    String badId = append(backend, entry("k", "bad", 0));
    append(backend, entry("k", "good", 0));
    String worseId = append(backend, entry("k", "worse", 0));
    List<Polled> polled = probe.pollUntilPayloads(backend, pollLatency(), "bad", "good", "worse");
    for (String payload : List.of("bad", "worse")) {
      Polled p = BackendProbe.find(polled, payload);
      probe.call(() -> backend.deadLetter(p.lease(), p.lease().entry().toBuilder().setAttempts(3)
          .setLastError("refused: " + payload).setDeadAtMs(System.currentTimeMillis()).build()));
    }
    probe.call(() -> backend.ack(BackendProbe.find(polled, "good").lease()));
    probe.assertNothingPolled(backend, Duration.ofMillis(500), "dead letters are not polled");
    if (!(backend instanceof DeadLetterBackend)) {
      return; // parked and never polled is all a backend without a browsable DLQ promises
    }

    Awaitility.await("both dead letters are listed").atMost(pollLatency()).untilAsserted(() -> {
      List<EntryRecord> dead = probe.call(() -> deadLetters(backend).listDeadLetters(10));
      assertThat(dead).extracting(EntryRecord::getEntryId).containsExactlyInAnyOrder(badId, worseId);
      EntryRecord bad = dead.stream().filter(r -> r.getEntryId().equals(badId)).findFirst().orElseThrow();
      assertThat(bad.getPayload().toStringUtf8()).isEqualTo("bad");
      assertThat(bad.getAttempts()).isEqualTo(3);
      assertThat(bad.getLastError()).isEqualTo("refused: bad");
    });

    assertThat(probe.call(() -> deadLetters(backend).replayDeadLetters(List.of(badId)))).isEqualTo(1);
    Polled replayed = BackendProbe.find(probe.pollUntilPayloads(backend, pollLatency(), "bad"), "bad");
    assertThat(replayed.lease().entry().getEntryId()).as("a replayed entry keeps its id").isEqualTo(badId);
    assertThat(replayed.lease().entry().getAttempts()).as("a replay resets the attempts").isZero();
    probe.call(() -> backend.ack(replayed.lease()));

    assertThat(probe.call(() -> deadLetters(backend).purgeDeadLetters(List.of()))).isEqualTo(1);
    Awaitility.await("the purged dead letter is gone").atMost(pollLatency()).untilAsserted(() ->
        assertThat(probe.call(() -> deadLetters(backend).listDeadLetters(10))).isEmpty());
    probe.assertNothingPolled(backend, Duration.ofMillis(500), "a purged dead letter is not delivered");
  }

  // ---- destroy ----

  /**
   * A destroyed namespace keeps nothing: a backend opened again on the same spec (a namespace created again with the
   * same name and store) polls none of the old entries, due or delayed, and lists none of its dead letters.
   */
  @Test
  public void aDestroyedNamespaceOpenedAgainHoldsNothingOfIt() {
    BackendSpec spec = spec(false);
    Backend backend = open(spec);
    append(backend, entry("", "doomed", 0));
    append(backend, entry("", "dead", 0));
    append(backend, entry("", "delayed", System.currentTimeMillis() + 1_500));
    String oldId = append(backend, entry("", "keyed before", System.currentTimeMillis() + 60_000).toBuilder()
        .setIdempotencyKey("reused").build());
    List<Polled> polled = probe.pollUntilPayloads(backend, pollLatency(), "doomed", "dead");
    Polled dead = BackendProbe.find(polled, "dead");
    probe.call(() -> backend.deadLetter(dead.lease(), dead.lease().entry().toBuilder().setAttempts(1)
        .setLastError("refused").setDeadAtMs(System.currentTimeMillis()).build()));
    probe.call(backend::destroy);
    opened.remove(backend);

    Backend again = open(spec);
    probe.assertNothingPolled(again, Duration.ofMillis(2_500), "the destroyed namespace's entries, the delayed one too");
    if (again instanceof DeadLetterBackend) {
      assertThat(probe.call(() -> deadLetters(again).listDeadLetters(10))).as("its dead letters").isEmpty();
    }
    // an idempotency key of the destroyed namespace is forgotten with it: the write is stored, not answered as a
    // duplicate of an entry that no longer exists
    AppendResult reused = probe.call(() -> again.append(entry("", "keyed after", 0).toBuilder()
        .setIdempotencyKey("reused").build()));
    assertThat(reused.duplicate()).as("a reused key after the destroy").isFalse();
    assertThat(reused.entryId()).isNotEqualTo(oldId);
    probe.pollUntilPayloads(again, pollLatency(), "keyed after");
  }

  /** The backend as the browsable dead-letter queue it declares. */
  private static DeadLetterBackend deadLetters(Backend backend) {
    return (DeadLetterBackend) backend;
  }

  // ---- counts ----

  @Test
  public void aCountingBackendCountsWhatIsUndeliveredSoAZeroMeansNothingWouldBeDropped() {
    Backend backend = open(spec(false));
    if (!(backend instanceof CountingBackend counting)) {
      return; // a backend that cannot count makes every delete of its namespaces need force=true
    }
    long delayedDue = System.currentTimeMillis() + 3_000;
    append(backend, entry("a", "one", 0));
    append(backend, entry("b", "two", 0));
    append(backend, entry("c", "later", delayedDue)); // delayed: undelivered too
    // never fewer than what is undelivered (a count may run over while a backend moves entries)
    Awaitility.await("the due and the delayed entries are counted as pending").atMost(pollLatency().plusSeconds(5))
        .untilAsserted(() -> assertThat(counting.stats().pending()).isGreaterThanOrEqualTo(3));
    List<Polled> due = probe.pollUntilPayloads(backend, pollLatency(), "one", "two");
    due.forEach(p -> probe.call(() -> backend.ack(p.lease())));
    assertThat(counting.stats().pending()).as("the delayed entry is still counted").isGreaterThanOrEqualTo(1);
    Polled later = BackendProbe.find(probe.pollUntilPayloads(backend, pollLatency().plusSeconds(4), "later"), "later");
    probe.call(() -> backend.ack(later.lease()));
    Awaitility.await("nothing is counted once everything is delivered").atMost(pollLatency().plusSeconds(10))
        .untilAsserted(() -> assertThat(counting.stats().pending()).isZero());
  }

  /**
   * An entry delivered ahead of an earlier one of the same queue is no longer counted, though the earlier one still
   * is: the count is what is undelivered, not how far the queue's delivered prefix reaches (Kafka's committed offset
   * stays at the first unsettled record and counted both).
   */
  @Test
  public void anEntryDeliveredAheadOfAnEarlierOneIsNoLongerCounted() {
    Backend backend = open(spec(false));
    if (!(backend instanceof CountingBackend counting)) {
      return;
    }
    // one key in an unordered namespace: one partition on Kafka, and both can be leased at once
    append(backend, entry("same", "earlier", 0));
    append(backend, entry("same", "later", 0));
    Awaitility.await("both are counted").atMost(pollLatency().plusSeconds(10))
        .untilAsserted(() -> assertThat(counting.stats().pending()).isGreaterThanOrEqualTo(2));
    List<Polled> both = probe.pollUntilPayloads(backend, pollLatency(), "earlier", "later");
    probe.call(() -> backend.ack(BackendProbe.find(both, "later").lease()));
    Awaitility.await("only the entry not yet delivered is counted").atMost(pollLatency().plusSeconds(10))
        .untilAsserted(() -> assertThat(counting.stats().pending()).isEqualTo(1));
    probe.call(() -> backend.ack(BackendProbe.find(both, "earlier").lease()));
    Awaitility.await("nothing is counted once both are delivered").atMost(pollLatency().plusSeconds(10))
        .untilAsserted(() -> assertThat(counting.stats().pending()).isZero());
  }

  // ---- idempotent appends ----

  @Test
  public void anIdempotencyKeyIsStoredOnceAndAnswersTheFirstId() {
    Backend backend = open(spec(false));
    EntryRecord entry = entry("", "once", 0).toBuilder().setIdempotencyKey("request-1").build();
    AppendResult first = probe.call(() -> backend.append(entry));
    AppendResult second = probe.call(() -> backend.append(entry));
    assertThat(first.duplicate()).isFalse();
    assertThat(second.duplicate()).isTrue();
    assertThat(second.entryId()).isEqualTo(first.entryId());
    append(backend, entry("", "marker", 0));
    List<Polled> polled = probe.pollUntilPayloads(backend, pollLatency(), "once", "marker");
    polled.addAll(probe.assertNonePolled(backend, Duration.ofMillis(500), "the duplicate is not stored",
        p -> p.payload().equals("once")));
    assertThat(polled).extracting(Polled::payload).as("stored once").containsOnlyOnce("once");
  }

  @Test
  public void anIdempotencyKeyIsRememberedAcrossARestart() {
    BackendSpec spec = spec(false);
    Backend backend = open(spec);
    EntryRecord entry = entry("", "once", 0).toBuilder().setIdempotencyKey("request-2").build();
    AppendResult first = probe.call(() -> backend.append(entry));
    Backend again = restart(backend, spec);
    AppendResult second = probe.call(() -> again.append(entry));
    assertThat(second.duplicate()).isTrue();
    assertThat(second.entryId()).isEqualTo(first.entryId());
  }

  // ---- restart ----

  @Test
  public void closingDoesNotBlockTheCallingEventLoop() {
    Backend backend = open(spec(false));
    append(backend, entry("", "before-close", 0));
    long[] blockedMs = {0};
    probe.call(() -> {
      long start = System.nanoTime();
      Future<Void> closing = backend.close();
      blockedMs[0] = (System.nanoTime() - start) / 1_000_000;
      return closing;
    });
    opened.remove(backend);
    assertThat(blockedMs[0]).as("Backend.close() held its event loop for %d ms; it MUST NOT block (the node closes"
        + " backends on its event loops when a namespace is updated, moved or deleted)", blockedMs[0]).isLessThan(1_000);
  }

  @Test
  public void anEntryLeasedAndNeverSettledIsPolledAgainAfterARestart() {
    BackendSpec spec = spec(false);
    Backend backend = open(spec);
    String id = append(backend, entry("", "unsettled", 0));
    probe.pollUntilPayloads(backend, pollLatency(), "unsettled");
    Backend again = restart(backend, spec);
    Polled redelivered = BackendProbe.find(probe.pollUntilPayloads(again, pollLatency(), "unsettled"), "unsettled");
    assertThat(redelivered.lease().entry().getEntryId()).isEqualTo(id);
  }

  @Test
  public void acknowledgedEntriesAreNotPolledAgainAfterARestart() {
    BackendSpec spec = spec(false);
    Backend backend = open(spec);
    for (int i = 0; i < 5; i++) {
      append(backend, entry("k" + i, "acked-" + i, 0));
    }
    List<Polled> polled = probe.pollUntilPayloads(backend, pollLatency(), "acked-0", "acked-1", "acked-2", "acked-3",
        "acked-4");
    for (Polled p : polled) {
      probe.call(() -> backend.ack(p.lease()));
    }
    assertNonePolledAfterARestart(backend, spec, "acked-", "acknowledged entries stay delivered");
  }

  /** Restarts the backend, appends a fresh entry, and checks that no entry whose payload starts with the prefix comes back. */
  private void assertNonePolledAfterARestart(Backend backend, BackendSpec spec, String prefix, String why) {
    Backend again = restart(backend, spec);
    append(again, entry("", "after-restart", 0));
    List<Polled> after = probe.pollUntilPayloads(again, pollLatency(), "after-restart");
    after.addAll(probe.assertNonePolled(again, Duration.ofMillis(500), why, p -> p.payload().startsWith(prefix)));
    assertThat(after).extracting(Polled::payload).as(why).noneMatch(p -> p.startsWith(prefix));
  }

  @Test
  public void entriesAckedTogetherAreNotPolledAgainAfterARestart() {
    BackendSpec spec = spec(false);
    Backend backend = open(spec);
    String[] payloads = new String[25]; // more than one batched delete on SQS (10 per call)
    for (int i = 0; i < payloads.length; i++) {
      payloads[i] = "together-" + i;
      append(backend, entry("k" + i, payloads[i], 0));
    }
    List<Polled> polled = probe.pollUntilPayloads(backend, pollLatency(), payloads);
    List<Lease> leases = new ArrayList<>();
    polled.forEach(p -> leases.add(p.lease()));
    probe.call(() -> backend.ackAll(leases));
    assertNonePolledAfterARestart(backend, spec, "together-", "entries acked together stay delivered");
  }
}
