package io.walmesh.backend.local;

import com.google.protobuf.InvalidProtocolBufferException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.walmesh.spi.entry.EntryRecord;
import io.walmesh.spi.backend.AppendException;
import io.walmesh.spi.backend.AppendResult;
import io.walmesh.spi.backend.Backend;
import io.walmesh.spi.backend.BackendSpec;
import io.walmesh.spi.backend.BackendStats;
import io.walmesh.spi.backend.Lease;
import io.walmesh.spi.backend.ReplayRequest;
import io.walmesh.spi.backend.ReplayStatus;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;

/**
 * The {@code local} backend of one namespace: entries in the node's {@link LocalLog}, indexed by a
 * {@link Schedule} that only the log thread touches. With {@code retention-ms}, a delivered entry
 * moves to the log's retained part instead of being deleted, and stays there, replayable, until it
 * is older than the retention.
 *
 * <p>Why it is over 500 lines: it is the core of the SPI for one storage (append, poll, the three
 * settles, open, close, destroy, sweeps, stats, the due-time wake-up), each a short step on the log
 * thread. The parts with state of their own live apart: {@link LocalLog} (RocksDB, group commit),
 * {@link Schedule} (due times and per-key order, on disk), {@link Replays} and {@link DeadLetters}.
 */
final class LocalBackend implements io.walmesh.spi.backend.ReplayableBackend, io.walmesh.spi.backend.DeadLetterBackend,
    io.walmesh.spi.backend.CountingBackend {
  private final Vertx vertx;
  private final LocalLog log;
  private final BackendSpec spec;
  private final byte[] prefix;
  private final Schedule schedule;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private final AtomicLong pending = new AtomicLong();
  private final AtomicLong leased = new AtomicLong();
  /** Settle writes (ack, retry, dead-letter) that failed in a row: the redelivery backoff grows with it. */
  private final java.util.concurrent.atomic.AtomicInteger settleFailures = new java.util.concurrent.atomic.AtomicInteger();
  static final long MAX_SETTLE_BACKOFF_MS = 30_000;
  private final AtomicLong deadLetterCount = new AtomicLong();
  private final AtomicLong oldestDueLag = new AtomicLong();
  private volatile boolean closed;
  /**
   * Set on the log thread when the destroy is prepared: every later task of this namespace fails and writes nothing
   * (a DLQ replay or a sweep walking it a turn at a time would otherwise put rows back after the destroy).
   */
  private boolean gone;
  private long sweepTimer = -1;
  /** Whether a sweep (idempotency keys, retained entries) is walking; the timer's context only. */
  private boolean sweeping;
  /** When the armed wake-up fires (epoch ms), {@code Long.MAX_VALUE} when none is armed; see {@link #wakeAt}. */
  private final AtomicLong wakeAt = new AtomicLong(Long.MAX_VALUE);
  /** The armed wake-up's timer; log thread only. */
  private long wakeTimer = -1;
  /** Counts what the namespace held when it opened; set on the log thread by {@link #load}. */
  private volatile BacklogCount backlogCount;
  /** How long delivered entries are kept for replay; zero: deleted when delivered. */
  private final long retentionMs;
  /** Replays of delivered entries kept for {@link #retentionMs}, and their progress. */
  private final Replays replays;
  /** The namespace's dead letters: listed, put back in the queue, purged. */
  private final DeadLetters deadLetters;

  LocalBackend(Vertx vertx, LocalLog log, BackendSpec spec) {
    this.vertx = vertx;
    this.log = log;
    this.spec = spec;
    this.prefix = Keys.prefix(spec.namespace());
    this.schedule = new Schedule(log, spec.namespace(), prefix, spec.orderedByKey());
    this.retentionMs = LocalBackendFactory.retentionMs(spec);
    this.replays = new Replays(this, log, spec.namespace(), prefix, schedule);
    this.deadLetters = new DeadLetters(this, log, prefix, schedule, deadLetterCount);
  }

  /**
   * Opens the schedule (building its index if the namespace has none); entries leased before a crash are pending again.
   * What the namespace holds is counted a turn at a time ({@link BacklogCount}): the open does not hold the log thread
   * for a whole backlog.
   */
  Future<Backend> load() {
    boolean[] counted = {false};
    return run(batch -> {
      boolean indexed = schedule.load(batch);
      deadLetterCount.set(0);
      LongConsumer pendingCounted = rows -> {
        schedule.counted(rows);
        refreshStats();
      };
      LongConsumer deadCounted = deadLetterCount::addAndGet;
      backlogCount = indexed
          ? new BacklogCount(log, spec.namespace(), prefix, new ColumnFamilyHandle[] {log.entries, log.deadLetters},
              new LongConsumer[] {pendingCounted, deadCounted})
          : new BacklogCount(log, spec.namespace(), prefix, new ColumnFamilyHandle[] {log.deadLetters},
              new LongConsumer[] {deadCounted});
      counted[0] = backlogCount.turn();
      refreshStats();
      return false;
    }, () -> {
      if (!counted[0]) {
        backlogCount.continueLater();
      }
      long window = Math.min(spec.dedupeWindow().isZero() ? Long.MAX_VALUE : spec.dedupeWindow().toMillis(),
          retentionMs == 0 ? Long.MAX_VALUE : retentionMs);
      if (window != Long.MAX_VALUE) {
        long interval = Math.max(1_000, Math.min(600_000, window / 2));
        sweepTimer = vertx.setPeriodic(interval, id -> {
          if (sweeping) {
            return; // the last sweep is still walking: one at a time
          }
          sweeping = true;
          Future<?> idempotency = spec.dedupeWindow().isZero() ? Future.succeededFuture() : sweepIdempotencyKeys();
          idempotency.transform(ignored -> retentionMs > 0 ? sweepRetained() : Future.succeededFuture())
              .onComplete(ignored -> sweeping = false);
        });
      }
      return (Backend) this;
    }, failure -> {
      if (backlogCount != null) { // the open failed: its count stops and lets its snapshot go
        backlogCount.cancel();
        backlogCount.turn();
      }
    });
  }

  /**
   * Deletes retained entries written longer ago than the retention, a turn of the log thread at a time
   * ({@link Walk}). Answers how many it deleted.
   */
  Future<Integer> sweepRetained() {
    int[] swept = {0};
    long oldest = System.currentTimeMillis() - retentionMs;
    return Walk.walk(this, log, log.delivered, prefix, (batch, key, value) -> {
      if (parse(value).getWriteTimeMs() >= oldest) {
        return false; // kept in sequence order, which follows write time: the rest is younger
      }
      batch.writes.delete(log.delivered, key);
      swept[0]++;
      return true;
    }).map(v -> swept[0]);
  }

  /**
   * Forgets idempotency keys older than the dedupe window, so the log does not grow without bound; they are kept by
   * key, not by age, so the sweep reads them all, a turn of the log thread at a time ({@link Walk}).
   */
  Future<Integer> sweepIdempotencyKeys() {
    int[] swept = {0};
    long oldest = System.currentTimeMillis() - spec.dedupeWindow().toMillis();
    return Walk.walk(this, log, log.idempotency, prefix, (batch, key, value) -> {
      // a write earlier in this batch may have stored the same key again: that one is young
      if (ByteBuffer.wrap(value).getLong() < oldest && !batch.idempotencyInBatch.containsKey(ByteBuffer.wrap(key))) {
        batch.writes.delete(log.idempotency, key);
        swept[0]++;
      }
      return true;
    }).map(v -> swept[0]);
  }


  private void stopSweeper() {
    if (sweepTimer >= 0) {
      vertx.cancelTimer(sweepTimer);
      sweepTimer = -1;
    }
  }

  @Override
  public Future<AppendResult> append(EntryRecord entry) {
    io.vertx.core.Promise<AppendResult> result = io.vertx.core.Promise.promise();
    appendAll(List.of(entry), (index, outcome) -> result.handle(outcome));
    return result.future();
  }

  /**
   * One log task for all of them: they go into the same batch and its one fsync, in the order given, and their
   * outcomes reach the caller's context in one task (with the other completions of that batch for that context,
   * {@link LocalLog#completeOn}).
   */
  @Override
  public void appendAll(List<EntryRecord> entries, Appended each) {
    log.submit(new AppendTask(entries, vertx.getOrCreateContext(), each));
  }

  /**
   * An append is a task on the log's queue, taken by its one thread, and its outcomes go to the context that made it;
   * whether the log can write ({@link #unavailable}) may be asked from any thread.
   */
  @Override
  public boolean appendsFromAnyContext() {
    return true;
  }

  /**
   * The entry's bytes with {@code entry_id} set, as {@code entry.toBuilder().setEntryId(id).build().toByteArray()}
   * gives them to a reader, without copying the entry into a builder: the field is written after the entry's own, and
   * a parser keeps the last value of a field it sees twice.
   */
  static byte[] withEntryId(EntryRecord entry, String entryId) {
    byte[] out = new byte[entry.getSerializedSize()
        + com.google.protobuf.CodedOutputStream.computeStringSize(EntryRecord.ENTRY_ID_FIELD_NUMBER, entryId)];
    com.google.protobuf.CodedOutputStream stream = com.google.protobuf.CodedOutputStream.newInstance(out);
    try {
      entry.writeTo(stream);
      stream.writeString(EntryRecord.ENTRY_ID_FIELD_NUMBER, entryId);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("encoding an entry into an array of its own size", e);
    }
    stream.checkNoSpaceLeft();
    return out;
  }

  /**
   * Appends entries, in order: for each, dedupe, sequence, entry and idempotency record in the shared batch. The log
   * rolls back all of the task's writes when one entry fails to prepare (a read error), so all of them fail as not
   * stored; the idempotency keys it remembered for the batch are forgotten with them.
   */
  private final class AppendTask implements LogTask {
    private final List<EntryRecord> entries;
    private final io.vertx.core.Context context;
    private final Appended each;
    /** Per entry: its id, and whether an earlier entry with its idempotency key answered (then it is not stored). */
    private final String[] entryIds;
    private final boolean[] duplicate;

    AppendTask(List<EntryRecord> entries, io.vertx.core.Context context, Appended each) {
      this.entries = entries;
      this.context = context;
      this.each = each;
      this.entryIds = new String[entries.size()];
      this.duplicate = new boolean[entries.size()];
    }

    /** Only an entry with a key in an ordered namespace reads through the batch: its key's count. */
    @Override
    public boolean readsBatch() {
      if (!spec.orderedByKey()) {
        return false;
      }
      for (EntryRecord entry : entries) {
        if (!entry.getKey().isEmpty()) {
          return true;
        }
      }
      return false;
    }

    @Override
    public boolean prepare(LocalLog.Batch batch) throws RocksDBException {
      if (closed) {
        throw new AppendException(AppendException.Kind.NOT_STORED, "namespace " + spec.namespace() + " is closing", null);
      }
      int i = 0;
      try {
        for (; i < entryIds.length; i++) {
          prepare(batch, i);
        }
      } catch (RuntimeException | RocksDBException e) {
        // the log rolls back every write of this task: the keys this task remembered must not answer later appends
        for (int j = 0; j <= i && j < entryIds.length; j++) {
          EntryRecord entry = entries.get(j);
          if (!duplicate[j] && entryIds[j] != null && !entry.getIdempotencyKey().isEmpty()) {
            batch.idempotencyInBatch.remove(ByteBuffer.wrap(Keys.stringKey(prefix, entry.getIdempotencyKey())), entryIds[j]);
          }
        }
        throw e;
      }
      return true;
    }

    private void prepare(LocalLog.Batch batch, int i) throws RocksDBException {
      EntryRecord entry = entries.get(i);
      String idemKey = entry.getIdempotencyKey();
      boolean dedupe = !idemKey.isEmpty() && !spec.dedupeWindow().isZero();
      byte[] idemRowKey = dedupe ? Keys.stringKey(prefix, idemKey) : null;
      if (dedupe) {
        String earlier = batch.idempotencyInBatch.get(ByteBuffer.wrap(idemRowKey));
        if (earlier == null) {
          earlier = storedIdempotentEntry(batch, entry, idemRowKey);
        }
        if (earlier != null) {
          entryIds[i] = earlier;
          duplicate[i] = true;
          return; // answered only once the batch holding the first write is durable
        }
      }
      long seq = batch.nextSeq();
      String entryId = Keys.entryId(seq);
      batch.writes.put(log.entries, Keys.seqKey(prefix, seq), withEntryId(entry, entryId));
      schedule.add(batch, seq, entry.getDueAtMs(), entry.getKey());
      entryIds[i] = entryId;
      if (dedupe) {
        byte[] id = entryId.getBytes(StandardCharsets.UTF_8);
        byte[] value = ByteBuffer.allocate(Long.BYTES + id.length).putLong(entry.getWriteTimeMs()).put(id).array();
        batch.writes.put(log.idempotency, idemRowKey, value);
        batch.idempotencyInBatch.put(ByteBuffer.wrap(idemRowKey), entryId);
      }
    }

    private String storedIdempotentEntry(LocalLog.Batch batch, EntryRecord entry, byte[] idemRowKey)
        throws RocksDBException {
      byte[] value = batch.db().get(log.idempotency, idemRowKey);
      if (value == null) {
        return null;
      }
      ByteBuffer buffer = ByteBuffer.wrap(value);
      long firstWriteTime = buffer.getLong();
      if (entry.getWriteTimeMs() - firstWriteTime > spec.dedupeWindow().toMillis()) {
        return null; // outside the window: a new entry
      }
      return new String(value, Long.BYTES, value.length - Long.BYTES, StandardCharsets.UTF_8);
    }

    @Override
    public void complete(Throwable failure) {
      if (failure != null) {
        Future<AppendResult> notStored = Future.failedFuture(failure instanceof AppendException ? failure
            : new AppendException(AppendException.Kind.NOT_STORED, "local log write failed: " + failure.getMessage(), failure));
        log.completeOn(context, () -> {
          for (int i = 0; i < entryIds.length; i++) {
            each.appended(i, notStored);
          }
        });
        return;
      }
      int stored = 0;
      boolean due = false;
      long now = System.currentTimeMillis();
      for (int i = 0; i < entryIds.length; i++) {
        if (!duplicate[i]) {
          stored++;
          due |= entries.get(i).getDueAtMs() <= now;
        }
      }
      if (stored > 0) {
        schedule.counted(stored);
        refreshStats();
        if (due) {
          notifyAvailable(); // a delayed entry wakes the consumer when it falls due (refreshStats armed that)
        }
      }
      log.completeOn(context, () -> {
        for (int i = 0; i < entryIds.length; i++) {
          each.appended(i, Future.succeededFuture(new AppendResult(entryIds[i], duplicate[i])));
        }
      });
    }
  }

  @Override
  public Future<List<Lease>> poll(int max) {
    return read(() -> { // leases only what earlier batches made durable, without waiting for the next batch's fsync
      long now = System.currentTimeMillis();
      List<Lease> leases = new ArrayList<>();
      for (Schedule.Item item : schedule.takeDue(now, max)) {
        byte[] value = readEntry(item.seq());
        if (value == null) { // the index and the entries are written in one batch: not expected
          schedule.settled(item.seq());
          org.slf4j.LoggerFactory.getLogger(LocalBackend.class).warn("Namespace {}: the schedule names entry {}, which"
              + " is not in the log; skipped", spec.namespace(), Keys.entryId(item.seq()));
          continue;
        }
        leases.add(new Lease(parse(value), item.seq()));
      }
      refreshStats();
      return leases;
    });
  }

  private byte[] readEntry(long seq) {
    try {
      return log.get(log.entries, Keys.seqKey(prefix, seq));
    } catch (RocksDBException e) {
      throw new IllegalStateException("local log read failed: " + e.getMessage(), e);
    }
  }

  @Override
  public Future<Void> ack(Lease lease) {
    return ackAll(List.of(lease));
  }

  /** One log task for all of them: one batch deletes them (and keeps them for replay with retention). */
  @Override
  public Future<Void> ackAll(List<Lease> leases) {
    long[] seqs = new long[leases.size()];
    for (int i = 0; i < seqs.length; i++) {
      seqs[i] = (Long) leases.get(i).token();
    }
    int[] removed = {0};
    return settle(seqs, batch -> {
      removed[0] = 0;
      for (int i = 0; i < seqs.length; i++) {
        Lease lease = leases.get(i);
        if (!pendingIn(batch, seqs[i])) {
          continue; // settled already
        }
        removed[0]++;
        batch.writes.delete(log.entries, Keys.seqKey(prefix, seqs[i]));
        schedule.remove(batch, seqs[i], lease.entry().getKey(), lease.entry().getDueAtMs());
        // a replayed entry is retained already, under its first sequence
        if (retentionMs > 0 && !lease.entry().getHeadersMap().containsKey(ReplayRequest.REPLAY_HEADER)) {
          batch.writes.put(log.delivered, Keys.seqKey(prefix, seqs[i]), lease.entry().toBuilder()
              .clearDeliveredTargets().setAttempts(0).setLastError("").build().toByteArray());
        }
      }
      return false;
    }, () -> schedule.counted(-removed[0]));
  }

  /** Whether the entry is pending, as the log will be once this batch is written. */
  private boolean pendingIn(LocalLog.Batch batch, long seq) throws RocksDBException {
    return batch.get(log.entries, Keys.seqKey(prefix, seq)) != null;
  }

  @Override
  public Future<ReplayStatus> replay(ReplayRequest request) {
    if (retentionMs == 0) {
      return Future.failedFuture(new UnsupportedOperationException("namespace " + spec.namespace() + " keeps no"
          + " delivered entries; set backend.config.retention-ms to replay what is delivered from then on"));
    }
    return replays.replay(request);
  }

  @Override
  public Future<ReplayStatus> replayStatus(String id) {
    return replays.status(id);
  }

  @Override
  public Future<Void> retry(Lease lease, EntryRecord updated) {
    long seq = (Long) lease.token();
    return settle(new long[] {seq}, batch -> {
      if (!pendingIn(batch, seq)) {
        return false; // settled already (or its namespace destroyed): writing it again would bring it back
      }
      batch.writes.put(log.entries, Keys.seqKey(prefix, seq), updated.toByteArray());
      schedule.reschedule(batch, seq, lease.entry().getKey(), lease.entry().getDueAtMs(), updated.getDueAtMs());
      return false;
    }, () -> { });
  }

  @Override
  public Future<Void> deadLetter(Lease lease, EntryRecord updated) {
    long seq = (Long) lease.token();
    boolean[] removed = {false};
    return settle(new long[] {seq}, batch -> {
      removed[0] = pendingIn(batch, seq);
      if (removed[0]) {
        batch.writes.delete(log.entries, Keys.seqKey(prefix, seq));
        batch.writes.put(log.deadLetters, Keys.seqKey(prefix, seq), updated.toByteArray());
        schedule.remove(batch, seq, lease.entry().getKey(), lease.entry().getDueAtMs());
      }
      return true;
    }, () -> {
      if (removed[0]) {
        schedule.counted(-1);
        deadLetterCount.incrementAndGet();
      }
    });
  }

  /** Runs a write that settles leases; on a failed write their entries are released for redelivery. */
  private Future<Void> settle(long[] seqs, Prepare prepare, Runnable onWritten) {
    return run(prepare, () -> {
      settleFailures.set(0);
      for (long seq : seqs) {
        schedule.settled(seq);
      }
      onWritten.run();
      refreshStats();
      notifyAvailable();
      return null;
    }, failure -> {
      // redelivered after a backoff that grows while settling keeps failing, not at once
      int failures = Math.min(settleFailures.incrementAndGet(), 16);
      long dueAt = System.currentTimeMillis() + Math.min(MAX_SETTLE_BACKOFF_MS, 100L << failures);
      for (long seq : seqs) {
        schedule.holdBack(seq, dueAt);
      }
      wakeAt(dueAt, System.currentTimeMillis());
      refreshStats();
    });
  }

  @Override
  public java.util.Optional<String> unavailable() {
    return java.util.Optional.ofNullable(log.unavailable());
  }

  @Override
  public void onAvailable(Runnable listener) {
    listeners.add(listener);
  }

  @Override
  public Future<List<EntryRecord>> listDeadLetters(int limit) {
    return deadLetters.list(limit);
  }

  @Override
  public Future<Integer> replayDeadLetters(List<String> entryIds) {
    return deadLetters.replay(entryIds);
  }

  @Override
  public Future<Integer> purgeDeadLetters(List<String> entryIds) {
    return deadLetters.purge(entryIds);
  }

  @Override
  public BackendStats stats() {
    long pendingNow = pending.get();
    long dead = deadLetterCount.get();
    BacklogCount count = backlogCount;
    if (count != null && !count.done()) {
      // Still counting: the figures are lower bounds. Pending is at least 1, so that a zero still means nothing would
      // be dropped (a delete without force is refused until the count ends).
      pendingNow = Math.max(1, pendingNow);
      dead = Math.max(0, dead);
    }
    return new BackendStats(pendingNow, leased.get(), dead, oldestDueLag.get());
  }

  private void cancelBacklogCount() {
    BacklogCount count = backlogCount;
    if (count != null) {
      count.cancel();
    }
  }

  @Override
  public Future<Void> close() {
    closed = true;
    cancelBacklogCount();
    stopSweeper();
    listeners.clear();
    // the entries stay on disk for the namespace's next owner; their places in memory are free
    return run(batch -> false, () -> {
      schedule.clear();
      cancelWakeUp();
      return null;
    }).<Void>mapEmpty().recover(logClosed -> Future.succeededFuture()); // a closed log holds no schedule either
  }

  @Override
  public Future<Void> destroy() {
    closed = true;
    cancelBacklogCount();
    stopSweeper();
    listeners.clear();
    return submit(batch -> {
      gone = true;
      schedule.destroy(batch);
      return true;
    }, () -> {
      // after every write of the batch this destroy was drained with, the tasks queued before it too
      log.deletePrefix(prefix, log.entries, log.deadLetters, log.idempotency, log.delivered, log.due, log.keyed,
          log.keyCounts);
    }, () -> {
      schedule.clear();
      cancelWakeUp();
      deadLetterCount.set(0);
      refreshStats();
      return null;
    });
  }

  /** How many entries the schedule holds in memory (its leases): the test that a backlog is not held there. */
  Future<Integer> scheduleInMemory() {
    return run(batch -> false, schedule::inMemory);
  }

  void refreshStats() {
    long now = System.currentTimeMillis();
    pending.set(schedule.size());
    leased.set(schedule.leasedCount());
    oldestDueLag.set(schedule.oldestDueLag(now));
    wakeAt(schedule.nextDue(), now);
  }

  /**
   * Wakes the consumer when the next entry not yet due falls due, so that a delayed entry or a retry is delivered on
   * time rather than at the consumer's next periodic poll. One wake-up is armed at a time, the earliest; the log
   * thread arms it, a Vert.x timer fires it.
   */
  private void wakeAt(long dueAt, long now) {
    if (dueAt <= now || dueAt == Long.MAX_VALUE || closed) {
      return;
    }
    long armed = wakeAt.get();
    if (armed > now && armed <= dueAt) {
      return; // an earlier wake-up is armed, and it has not fired yet
    }
    wakeAt.set(dueAt);
    if (wakeTimer >= 0) {
      vertx.cancelTimer(wakeTimer);
    }
    wakeTimer = vertx.setTimer(Math.max(1, dueAt - now), id -> {
      wakeAt.compareAndSet(dueAt, Long.MAX_VALUE);
      notifyAvailable();
    });
  }

  private void cancelWakeUp() {
    if (wakeTimer >= 0) {
      vertx.cancelTimer(wakeTimer);
      wakeTimer = -1;
    }
  }

  void notifyAvailable() {
    for (Runnable listener : listeners) {
      listener.run();
    }
  }

  static EntryRecord parse(byte[] value) {
    try {
      return EntryRecord.parseFrom(value);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt entry in the local log: " + e.getMessage(), e);
    }
  }

  /** The batch part of a task. */
  @FunctionalInterface
  interface Prepare {
    boolean apply(LocalLog.Batch batch) throws Exception;
  }

  /** The after-write part of a task, producing its result. */
  @FunctionalInterface
  interface After<T> {
    T get() throws Exception;
  }

  /** A task's step on the log thread after its batch is written. */
  @FunctionalInterface
  interface AfterWrite {
    void run() throws Exception;
  }

  /** Runs a task on the log thread and answers its result on the caller's context. */
  <T> Future<T> run(Prepare prepare, After<T> after) {
    return run(prepare, after, failure -> { });
  }

  /** Runs a task on the log thread; {@code onFailure} runs on the log thread when the write failed. */
  private <T> Future<T> run(Prepare prepare, After<T> after, java.util.function.Consumer<Throwable> onFailure) {
    return submit(batch -> {
      if (gone) { // as a namespace that does not exist: the admin API answers 404
        throw new java.util.NoSuchElementException("namespace " + spec.namespace() + " was deleted");
      }
      return prepare.apply(batch);
    }, null, after, onFailure, false);
  }

  /** Runs a read of what is durable on the log thread, ahead of the batch it is drained with ({@link LogTask#readOnly}). */
  private <T> Future<T> read(After<T> after) {
    return submit(batch -> false, null, after, failure -> { }, true);
  }

  /** Runs a task whose {@code afterWrite} runs once its batch is written ({@link LogTask#afterWrite}). */
  private <T> Future<T> submit(Prepare prepare, AfterWrite afterWrite, After<T> after) {
    return submit(prepare, afterWrite, after, failure -> { }, false);
  }

  private <T> Future<T> submit(Prepare prepare, AfterWrite afterWrite, After<T> after,
                               java.util.function.Consumer<Throwable> onFailure, boolean readOnly) {
    CompletableFuture<T> result = new CompletableFuture<>();
    log.submit(new LogTask() {
      @Override
      public boolean readOnly() {
        return readOnly;
      }

      @Override
      public boolean prepare(LocalLog.Batch batch) throws Exception {
        return prepare.apply(batch);
      }

      @Override
      public void afterWrite() throws Exception {
        if (afterWrite != null) {
          afterWrite.run();
        }
      }

      @Override
      public void complete(Throwable failure) {
        if (failure != null) {
          onFailure.accept(failure);
          result.completeExceptionally(failure);
          return;
        }
        try {
          result.complete(after.get());
        } catch (Throwable t) {
          result.completeExceptionally(t);
        }
      }
    });
    return Future.fromCompletionStage(result, vertx.getOrCreateContext());
  }
}
