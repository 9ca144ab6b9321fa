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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;

/**
 * The {@code local} backend of one namespace: entries in the node's {@link LocalLog}, indexed by a
 * {@link Schedule} that only the log thread touches. With {@code retention-ms}, a delivered entry
 * moves to the log's retained part instead of being deleted, and stays there, replayable, until it
 * is older than the retention.
 *
 * <p>Why it is over 400 lines: it is the whole SPI for one storage, the core methods and the three
 * capabilities it declares (replay, dead letters, counts), each a short step on the log thread. The
 * parts with state of their own live apart: {@link LocalLog} (RocksDB, group commit),
 * {@link Schedule} (due times and per-key order).
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
  private long sweepTimer = -1;
  /** How long delivered entries are kept for replay; zero: deleted when delivered. */
  private final long retentionMs;
  /** Replays started since the backend opened: their sequences, and how many entries they skipped. Log thread only. */
  private final Map<String, Replayed> replays = new java.util.LinkedHashMap<>();
  /** How many replays' progress is remembered; the oldest is forgotten first. */
  private static final int MAX_REMEMBERED_REPLAYS = 100;
  private final AtomicLong replayIds = new AtomicLong();

  private record Replayed(List<Long> seqs, long excluded) {
  }

  LocalBackend(Vertx vertx, LocalLog log, BackendSpec spec) {
    this.vertx = vertx;
    this.log = log;
    this.spec = spec;
    this.prefix = Keys.prefix(spec.namespace());
    this.schedule = new Schedule(spec.orderedByKey(), log.pending);
    this.retentionMs = LocalBackendFactory.retentionMs(spec);
  }

  /** Rebuilds the schedule from the stored entries; entries leased before a crash are pending again. */
  Future<Backend> load() {
    return run(batch -> {
      try (RocksIterator it = log.iterator(log.entries)) {
        for (it.seek(prefix); it.isValid() && Keys.startsWith(it.key(), prefix); it.next()) {
          EntryRecord record = EntryRecord.parseFrom(it.value());
          schedule.add(Keys.seqOf(it.key()), record.getDueAtMs(), record.getKey());
        }
      }
      long dead = 0;
      try (RocksIterator it = log.iterator(log.deadLetters)) {
        for (it.seek(prefix); it.isValid() && Keys.startsWith(it.key(), prefix); it.next()) {
          dead++;
        }
      }
      deadLetterCount.set(dead);
      refreshStats();
      return false;
    }, () -> {
      long window = Math.min(spec.dedupeWindow().isZero() ? Long.MAX_VALUE : spec.dedupeWindow().toMillis(),
          retentionMs == 0 ? Long.MAX_VALUE : retentionMs);
      if (window != Long.MAX_VALUE) {
        long interval = Math.max(1_000, Math.min(600_000, window / 2));
        sweepTimer = vertx.setPeriodic(interval, id -> {
          if (!spec.dedupeWindow().isZero()) {
            sweepIdempotencyKeys();
          }
          if (retentionMs > 0) {
            sweepRetained();
          }
        });
      }
      return (Backend) this;
    });
  }

  /** Deletes retained entries written longer ago than the retention. */
  Future<Integer> sweepRetained() {
    int[] swept = {0};
    return run(batch -> {
      long oldest = System.currentTimeMillis() - retentionMs;
      try (RocksIterator it = log.iterator(log.delivered)) {
        for (it.seek(prefix); it.isValid() && Keys.startsWith(it.key(), prefix); it.next()) {
          if (parse(it.value()).getWriteTimeMs() >= oldest) {
            break; // kept in sequence order, which follows write time: the rest is younger
          }
          batch.writes.delete(log.delivered, it.key());
          swept[0]++;
        }
      }
      return false;
    }, () -> swept[0]);
  }

  /** Forgets idempotency keys older than the dedupe window, so the log does not grow without bound. */
  Future<Integer> sweepIdempotencyKeys() {
    int[] swept = {0};
    return run(batch -> {
      long oldest = System.currentTimeMillis() - spec.dedupeWindow().toMillis();
      try (RocksIterator it = log.iterator(log.idempotency)) {
        for (it.seek(prefix); it.isValid() && Keys.startsWith(it.key(), prefix); it.next()) {
          if (ByteBuffer.wrap(it.value()).getLong() < oldest) {
            batch.writes.delete(log.idempotency, it.key());
            swept[0]++;
          }
        }
      }
      return false;
    }, () -> swept[0]);
  }

  private void stopSweeper() {
    if (sweepTimer >= 0) {
      vertx.cancelTimer(sweepTimer);
      sweepTimer = -1;
    }
  }

  @Override
  public Future<AppendResult> append(EntryRecord entry) {
    CompletableFuture<AppendResult> result = new CompletableFuture<>();
    log.submit(new AppendTask(entry, result));
    return Future.fromCompletionStage(result, vertx.getOrCreateContext());
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

  /** Appends one entry: dedupe, sequence, entry and idempotency record in the shared batch. */
  private final class AppendTask implements LogTask {
    private final EntryRecord entry;
    private final CompletableFuture<AppendResult> result;
    private long seq = -1;
    private String entryId;
    private boolean duplicate;
    /** Holds a place in the node's {@link PendingBudget} until the batch is written or fails. */
    private boolean reserved;

    AppendTask(EntryRecord entry, CompletableFuture<AppendResult> result) {
      this.entry = entry;
      this.result = result;
    }

    @Override
    public boolean prepare(LocalLog.Batch batch) throws RocksDBException {
      if (closed) {
        throw new AppendException(AppendException.Kind.NOT_STORED, "namespace " + spec.namespace() + " is closing", null);
      }
      String idemKey = entry.getIdempotencyKey();
      boolean dedupe = !idemKey.isEmpty() && !spec.dedupeWindow().isZero();
      byte[] idemRowKey = dedupe ? Keys.stringKey(prefix, idemKey) : null;
      if (dedupe) {
        String earlier = batch.idempotencyInBatch.get(ByteBuffer.wrap(idemRowKey));
        if (earlier == null) {
          earlier = storedIdempotentEntry(batch, idemRowKey);
        }
        if (earlier != null) {
          entryId = earlier;
          duplicate = true;
          return true; // answer only once the batch holding the first write is durable
        }
      }
      if (!log.pending.tryReserve()) {
        throw new AppendException(AppendException.Kind.NOT_STORED, log.pending.refusal(spec.namespace()), null);
      }
      reserved = true;
      seq = batch.nextSeq();
      entryId = Keys.entryId(seq);
      batch.writes.put(log.entries, Keys.seqKey(prefix, seq), withEntryId(entry, entryId));
      if (dedupe) {
        byte[] id = entryId.getBytes(StandardCharsets.UTF_8);
        byte[] value = ByteBuffer.allocate(Long.BYTES + id.length).putLong(entry.getWriteTimeMs()).put(id).array();
        batch.writes.put(log.idempotency, idemRowKey, value);
        batch.idempotencyInBatch.put(ByteBuffer.wrap(idemRowKey), entryId);
      }
      return true;
    }

    private String storedIdempotentEntry(LocalLog.Batch batch, byte[] idemRowKey) throws RocksDBException {
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
      if (reserved) {
        reserved = false;
        log.pending.release();
      }
      if (failure != null) {
        result.completeExceptionally(failure instanceof AppendException ? failure
            : new AppendException(AppendException.Kind.NOT_STORED, "local log write failed: " + failure.getMessage(), failure));
        return;
      }
      if (seq >= 0) {
        schedule.add(seq, entry.getDueAtMs(), entry.getKey());
        refreshStats();
        if (entry.getDueAtMs() <= System.currentTimeMillis()) {
          notifyAvailable(); // a delayed entry is found by the consumer's periodic poll once due; waking it now finds nothing
        }
      }
      result.complete(new AppendResult(entryId, duplicate));
    }
  }

  @Override
  public Future<List<Lease>> poll(int max) {
    return run(batch -> false, () -> {
      long now = System.currentTimeMillis();
      List<Lease> leases = new ArrayList<>();
      for (Schedule.Item item : schedule.takeDue(now, max)) {
        byte[] value = readEntry(item.seq);
        if (value == null) {
          schedule.remove(item.seq); // settled by a concurrent destroy
          continue;
        }
        leases.add(new Lease(parse(value), item.seq));
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
    return settle(seqs, batch -> {
      for (int i = 0; i < seqs.length; i++) {
        Lease lease = leases.get(i);
        batch.writes.delete(log.entries, Keys.seqKey(prefix, seqs[i]));
        // a replayed entry is retained already, under its first sequence
        if (retentionMs > 0 && !lease.entry().getHeadersMap().containsKey(ReplayRequest.REPLAY_HEADER)) {
          batch.writes.put(log.delivered, Keys.seqKey(prefix, seqs[i]), lease.entry().toBuilder()
              .clearDeliveredTargets().setAttempts(0).setLastError("").build().toByteArray());
        }
      }
      return false;
    }, () -> {
      for (long seq : seqs) {
        schedule.remove(seq);
      }
    });
  }

  @Override
  public Future<ReplayStatus> replay(ReplayRequest request) {
    if (retentionMs == 0) {
      return Future.failedFuture(new UnsupportedOperationException("namespace " + spec.namespace() + " keeps no"
          + " delivered entries; set backend.config.retention-ms to replay what is delivered from then on"));
    }
    String id = spec.namespace() + "-" + System.currentTimeMillis() + "-" + replayIds.incrementAndGet();
    List<Long> seqs = new ArrayList<>();
    List<EntryRecord> records = new ArrayList<>();
    long[] excluded = {0};
    int[] reserved = {0}; // places in the node's pending budget, held until the entries join the schedule
    return run(batch -> {
      long now = System.currentTimeMillis();
      try (RocksIterator it = log.iterator(log.delivered)) {
        for (it.seek(prefix); it.isValid() && Keys.startsWith(it.key(), prefix); it.next()) {
          EntryRecord kept = parse(it.value());
          if (!request.covers(kept)) {
            continue;
          }
          if (request.excludedEntryIds().contains(kept.getEntryId())) {
            excluded[0]++;
            continue;
          }
          if (!log.pending.tryReserve()) { // refused whole: the task's writes are rolled back, its places released
            throw new AppendException(AppendException.Kind.NOT_STORED, log.pending.replayRefusal(spec.namespace(),
                seqs.size()), null);
          }
          reserved[0]++;
          long seq = batch.nextSeq();
          batch.writes.put(log.entries, Keys.seqKey(prefix, seq), request.requeue(kept, id, now).toByteArray());
          seqs.add(seq);
          records.add(kept);
        }
      }
      return !seqs.isEmpty();
    }, () -> {
      long now = System.currentTimeMillis();
      for (int i = 0; i < seqs.size(); i++) {
        schedule.add(seqs.get(i), now, records.get(i).getKey());
      }
      releaseReserved(reserved);
      if (replays.size() >= MAX_REMEMBERED_REPLAYS) {
        replays.remove(replays.keySet().iterator().next());
      }
      replays.put(id, new Replayed(seqs, excluded[0]));
      refreshStats();
      notifyAvailable();
      return new ReplayStatus(id, seqs.size(), excluded[0], seqs.size(), 0);
    }, failure -> releaseReserved(reserved));
  }

  /** Frees the pending-budget places a task reserved (its entries joined the schedule, or its write failed). */
  private void releaseReserved(int[] reserved) {
    log.pending.release(reserved[0]);
    reserved[0] = 0;
  }

  @Override
  public Future<ReplayStatus> replayStatus(String id) {
    return run(batch -> false, () -> {
      Replayed replayed = replays.get(id);
      if (replayed == null) {
        throw new java.util.NoSuchElementException("no replay " + id + " of namespace " + spec.namespace()
            + " since this node started");
      }
      long remaining = replayed.seqs().stream().filter(schedule::contains).count();
      long dead = 0;
      for (long seq : replayed.seqs()) {
        if (!schedule.contains(seq) && log.get(log.deadLetters, Keys.seqKey(prefix, seq)) != null) {
          dead++;
        }
      }
      return new ReplayStatus(id, replayed.seqs().size(), replayed.excluded(), remaining, dead);
    });
  }

  @Override
  public Future<Void> retry(Lease lease, EntryRecord updated) {
    long seq = (Long) lease.token();
    return settle(new long[] {seq}, batch -> {
      batch.writes.put(log.entries, Keys.seqKey(prefix, seq), updated.toByteArray());
      return false;
    }, () -> schedule.release(seq, updated.getDueAtMs()));
  }

  @Override
  public Future<Void> deadLetter(Lease lease, EntryRecord updated) {
    long seq = (Long) lease.token();
    return settle(new long[] {seq}, batch -> {
      batch.writes.delete(log.entries, Keys.seqKey(prefix, seq));
      batch.writes.put(log.deadLetters, Keys.seqKey(prefix, seq), updated.toByteArray());
      return true;
    }, () -> {
      if (schedule.remove(seq)) {
        deadLetterCount.incrementAndGet();
      }
    });
  }

  /** Runs a write that settles leases; on a failed write their entries are released for redelivery. */
  private Future<Void> settle(long[] seqs, Prepare prepare, Runnable onWritten) {
    return run(prepare, () -> {
      settleFailures.set(0);
      onWritten.run();
      refreshStats();
      notifyAvailable();
      return null;
    }, failure -> {
      // redelivered after a backoff that grows while settling keeps failing, not at once
      int failures = Math.min(settleFailures.incrementAndGet(), 16);
      long dueAt = System.currentTimeMillis() + Math.min(MAX_SETTLE_BACKOFF_MS, 100L << failures);
      for (long seq : seqs) {
        schedule.release(seq, dueAt);
      }
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
    return run(batch -> false, () -> {
      List<EntryRecord> records = new ArrayList<>();
      try (RocksIterator it = log.iterator(log.deadLetters)) {
        for (it.seek(prefix); it.isValid() && Keys.startsWith(it.key(), prefix) && records.size() < limit; it.next()) {
          records.add(parse(it.value()));
        }
      }
      return records;
    });
  }

  @Override
  public Future<Integer> replayDeadLetters(List<String> entryIds) {
    Set<String> ids = new HashSet<>(entryIds);
    List<long[]> replayed = new ArrayList<>();
    List<EntryRecord> records = new ArrayList<>();
    return run(batch -> {
      long now = System.currentTimeMillis();
      try (RocksIterator it = log.iterator(log.deadLetters)) {
        for (it.seek(prefix); it.isValid() && Keys.startsWith(it.key(), prefix); it.next()) {
          EntryRecord dead = parse(it.value());
          if (!ids.isEmpty() && !ids.contains(dead.getEntryId())) {
            continue;
          }
          // A replayed entry keeps its id and write time, goes to the back of its key, due now.
          EntryRecord again = dead.toBuilder().setAttempts(0).setDueAtMs(now).setDeadAtMs(0).build();
          long seq = batch.nextSeq();
          batch.writes.delete(log.deadLetters, it.key());
          batch.writes.put(log.entries, Keys.seqKey(prefix, seq), again.toByteArray());
          replayed.add(new long[] {seq, now});
          records.add(again);
        }
      }
      return true;
    }, () -> {
      for (int i = 0; i < replayed.size(); i++) {
        schedule.add(replayed.get(i)[0], replayed.get(i)[1], records.get(i).getKey());
      }
      deadLetterCount.addAndGet(-replayed.size());
      refreshStats();
      notifyAvailable();
      return replayed.size();
    });
  }

  @Override
  public Future<Integer> purgeDeadLetters(List<String> entryIds) {
    Set<String> ids = new HashSet<>(entryIds);
    int[] purged = {0};
    return run(batch -> {
      try (RocksIterator it = log.iterator(log.deadLetters)) {
        for (it.seek(prefix); it.isValid() && Keys.startsWith(it.key(), prefix); it.next()) {
          if (ids.isEmpty() || ids.contains(parse(it.value()).getEntryId())) {
            batch.writes.delete(log.deadLetters, it.key());
            purged[0]++;
          }
        }
      }
      return true;
    }, () -> {
      deadLetterCount.addAndGet(-purged[0]);
      return purged[0];
    });
  }

  @Override
  public BackendStats stats() {
    return new BackendStats(pending.get(), leased.get(), deadLetterCount.get(), oldestDueLag.get());
  }

  @Override
  public Future<Void> close() {
    closed = true;
    stopSweeper();
    listeners.clear();
    // the entries stay on disk for the namespace's next owner; their places in memory are free
    return run(batch -> false, () -> {
      schedule.clear();
      return null;
    }).<Void>mapEmpty().recover(logClosed -> Future.succeededFuture()); // a closed log holds no schedule either
  }

  @Override
  public Future<Void> destroy() {
    closed = true;
    stopSweeper();
    listeners.clear();
    return run(batch -> {
      log.deletePrefix(prefix, log.entries, log.deadLetters, log.idempotency, log.delivered);
      return false;
    }, () -> {
      schedule.clear();
      deadLetterCount.set(0);
      refreshStats();
      return null;
    });
  }

  private void refreshStats() {
    pending.set(schedule.size());
    leased.set(schedule.leasedCount());
    oldestDueLag.set(schedule.oldestDueLag(System.currentTimeMillis()));
  }

  private void notifyAvailable() {
    for (Runnable listener : listeners) {
      listener.run();
    }
  }

  private static EntryRecord parse(byte[] value) {
    try {
      return EntryRecord.parseFrom(value);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt entry in the local log: " + e.getMessage(), e);
    }
  }

  /** The batch part of a task. */
  @FunctionalInterface
  private interface Prepare {
    boolean apply(LocalLog.Batch batch) throws Exception;
  }

  /** The after-write part of a task, producing its result. */
  @FunctionalInterface
  private interface After<T> {
    T get() throws Exception;
  }

  /** Runs a task on the log thread and answers its result on the caller's context. */
  private <T> Future<T> run(Prepare prepare, After<T> after) {
    return run(prepare, after, failure -> { });
  }

  /** Runs a task on the log thread; {@code onFailure} runs on the log thread when the write failed. */
  private <T> Future<T> run(Prepare prepare, After<T> after, java.util.function.Consumer<Throwable> onFailure) {
    CompletableFuture<T> result = new CompletableFuture<>();
    log.submit(new LogTask() {
      @Override
      public boolean prepare(LocalLog.Batch batch) throws Exception {
        return prepare.apply(batch);
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
