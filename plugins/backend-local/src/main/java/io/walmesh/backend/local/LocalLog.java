package io.walmesh.backend.local;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.Env;
import org.rocksdb.SstFileManager;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.AbstractWriteBatch;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteBatchWithIndex;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's embedded log: one RocksDB database shared by every namespace on the {@code local}
 * backend, and the single thread that reads and writes it. Work arrives as {@link LogTask}s; the
 * thread drains all queued tasks into one {@link WriteBatchWithIndex} and writes it once, synced when any
 * task needs durability, so concurrent appends share one fsync (group commit).
 */
final class LocalLog implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LocalLog.class);
  private static final int MAX_TASKS_PER_BATCH = 1024;
  /** Sequences reserved by one durable row at a time ({@link Batch#nextSeq}). */
  static final long SEQ_BLOCK = 1 << 20;
  private static final byte[] SEQ_RESERVED_KEY = "seq.reserved".getBytes();

  static {
    RocksDB.loadLibrary();
  }

  /** What a task sees while it prepares: the shared batch and the column families. */
  final class Batch {
    /**
     * The writes. Indexed when a task of the batch reads through it ({@link LogTask#readsBatch}), so that it sees what
     * the tasks before it wrote ({@link #iterator}, {@link #get}); a plain batch otherwise (plain appends), which costs
     * less per row.
     */
    final AbstractWriteBatch writes;

    Batch(boolean indexed) {
      writes = indexed ? new WriteBatchWithIndex(true) : new WriteBatch();
    }

    private WriteBatchWithIndex indexed() {
      if (writes instanceof WriteBatchWithIndex index) {
        return index;
      }
      throw new IllegalStateException("a task read through a batch that is not indexed: its LogTask.readsBatch() must"
          + " say true");
    }
    /** Idempotency keys written earlier in this same batch, by full key, with their entry id. */
    final Map<ByteBuffer, String> idempotencyInBatch = new HashMap<>();

    RocksDB db() {
      return db;
    }

    /** An iterator over the column family as it will be once this batch is written: the log and the batch so far. */
    RocksIterator iterator(ColumnFamilyHandle cf) {
      return indexed().newIteratorWithBase(cf, db.newIterator(cf));
    }

    /** A value as it will be once this batch is written. */
    byte[] get(ColumnFamilyHandle cf, byte[] key) throws RocksDBException {
      return indexed().getFromBatchAndDB(db, cf, readOptions, key);
    }

    /**
     * Allocates the next entry sequence; reserves a new block in this batch when it passes the reservation this batch
     * would make durable. A reservation counts only once its batch is written ({@link #runBatch}): a task rolled back,
     * a failed write or a dead log thread leaves the next batch to reserve again, so no sequence is ever used above
     * the durable reservation, and a restart never hands out a sequence already used.
     */
    long nextSeq() throws RocksDBException {
      if (nextSeq >= reservedUntil) {
        reservedUntil = nextSeq + seqBlock;
        writes.put(meta, SEQ_RESERVED_KEY, ByteBuffer.allocate(Long.BYTES).putLong(reservedUntil).array());
      }
      return nextSeq++;
    }
  }

  static final long MIN_RETRY_BACKOFF_MS = 100;
  private static final byte[] PROBE_KEY = "write-probe".getBytes(StandardCharsets.UTF_8);
  static final long MAX_RETRY_BACKOFF_MS = 10_000;
  private final Path dir;
  private final DBOptions dbOptions;
  private final SstFileManager obsoleteFiles;
  private final ColumnFamilyOptions cfOptions;
  private final org.rocksdb.ReadOptions readOptions = new org.rocksdb.ReadOptions();
  private final List<ColumnFamilyHandle> handles = new ArrayList<>();
  private final RocksDB db;
  final ColumnFamilyHandle entries;
  final ColumnFamilyHandle deadLetters;
  final ColumnFamilyHandle idempotency;
  /** Delivered entries kept for replay, by namespace prefix and sequence (namespaces with retention only). */
  final ColumnFamilyHandle delivered;
  /**
   * The schedule's indexes (see {@link Schedule}): entries that may be delivered once due, by due time; and, for
   * namespaces ordered by key, every pending entry with a key, by key and sequence.
   */
  final ColumnFamilyHandle due;
  final ColumnFamilyHandle keyed;
  /** How many pending entries each key of an ordered namespace has. */
  final ColumnFamilyHandle keyCounts;
  final ColumnFamilyHandle meta;
  private final LinkedBlockingQueue<LogTask> queue = new LinkedBlockingQueue<>();
  private final AtomicLong syncedWrites = new AtomicLong();
  private final AtomicLong tasksWritten = new AtomicLong();
  /**
   * A turn of the log thread (prepare, write and sync, complete) longer than this is logged: every append and poll of
   * the node's local namespaces waited for it.
   */
  static final long SLOW_TURN_MS = 100;
  /** Slow turns are logged at most once per this interval, with how many there were since the last message. */
  static final long SLOW_LOG_INTERVAL_MS = 10_000;
  /** Log thread only: when a slow turn was last logged, how many since, and the current turn's write time. */
  private long slowLoggedAtMs;
  private long slowSinceLog;
  private long writeNanos;
  private volatile boolean closed;
  /** Why the log cannot write now (a failed write, a dead thread), or null while it can. */
  private volatile String unavailable;
  private long retryAtMs;
  private long retryBackoffMs = MIN_RETRY_BACKOFF_MS;
  private volatile Thread thread;
  private long nextSeq;
  /** The reservation the batch being prepared makes durable if it is written (log thread only). */
  private long reservedUntil;
  /** The reservation on disk: the last one a written batch carried, or the one read at the open. */
  private long durableReservedUntil;
  private final long seqBlock;

  LocalLog(Path dir) throws Exception {
    this(dir, MAX_WAL_BYTES);
  }

  /** With RocksDB's write-ahead files bounded to {@code maxWalBytes} (see {@link #MAX_WAL_BYTES}); tests lower it. */
  LocalLog(Path dir, long maxWalBytes) throws Exception {
    this(dir, maxWalBytes, SEQ_BLOCK);
  }

  /** With sequences reserved {@code seqBlock} at a time (see {@link Batch#nextSeq}); tests lower it to cross blocks. */
  LocalLog(Path dir, long maxWalBytes, long seqBlock) throws Exception {
    this.dir = dir;
    this.seqBlock = seqBlock;
    Files.createDirectories(dir);
    obsoleteFiles = new SstFileManager(Env.getDefault(), null, DELETE_BYTES_PER_SEC, NO_TRASH_LIMIT, DELETE_CHUNK_BYTES);
    dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
        .setMaxTotalWalSize(maxWalBytes).setSstFileManager(obsoleteFiles);
    cfOptions = columnFamilyOptions();
    List<ColumnFamilyDescriptor> descriptors = List.of(
        new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
        new ColumnFamilyDescriptor("entries".getBytes(), cfOptions),
        new ColumnFamilyDescriptor("dead-letters".getBytes(), cfOptions),
        new ColumnFamilyDescriptor("idempotency".getBytes(), cfOptions),
        new ColumnFamilyDescriptor("meta".getBytes(), cfOptions),
        new ColumnFamilyDescriptor("delivered".getBytes(), cfOptions),
        new ColumnFamilyDescriptor("due".getBytes(), cfOptions),
        new ColumnFamilyDescriptor("keyed".getBytes(), cfOptions),
        new ColumnFamilyDescriptor("key-counts".getBytes(), cfOptions));
    long opening = System.nanoTime();
    try {
      db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
    } catch (RocksDBException e) {
      closeOptions(); // native objects (the file manager has a thread): not left behind by a failed open
      throw new IllegalStateException("cannot open the local log at " + dir + ": " + e.getMessage()
          + (String.valueOf(e.getMessage()).contains("lock") ? " (is another walmesh node using this data directory?)" : ""), e);
    }
    entries = handles.get(1);
    deadLetters = handles.get(2);
    idempotency = handles.get(3);
    meta = handles.get(4);
    delivered = handles.get(5);
    due = handles.get(6);
    keyed = handles.get(7);
    keyCounts = handles.get(8);
    byte[] reserved = db.get(meta, SEQ_RESERVED_KEY);
    // Sequences below the last durable reservation may have been used: start past it.
    nextSeq = reserved == null ? 1 : ByteBuffer.wrap(reserved).getLong();
    durableReservedUntil = nextSeq;
    startThread();
    // the open replays RocksDB's write-ahead files (all of them after a crash): how long the node's local
    // namespaces waited for it
    log.info("Local log open at {} in {} ms", dir, (System.nanoTime() - opening) / 1_000_000);
  }

  /**
   * RocksDB's defaults, but for one: a file at the bottom of the tree is not rewritten because a snapshot was let go.
   *
   * <p>Why: by default, letting go of a snapshot marks for compaction every bottommost file whose newest row is older
   * than it, so that rows the snapshot kept could be dropped. This log's keys grow within a namespace, so its files
   * reach the bottom by a move, not a rewrite, and every one of them is marked. A namespace's open takes a snapshot to
   * count its backlog ({@link BacklogCount}): each open then rewrote the entries of every namespace of the node that
   * reached the bottom since the last open, in RocksDB's background threads, while the writes went on. Session 28's
   * bench measured it as 3.1 us of background CPU per streamed write, against 0.4 for a log that takes no snapshot.
   * What is given up: rows a snapshot kept while a count ran (deletes of entries settled meanwhile) stay in their
   * files until a later compaction reaches them, or the periodic one, as old as this delay.
   */
  static ColumnFamilyOptions columnFamilyOptions() {
    java.util.Properties props = new java.util.Properties();
    props.setProperty("bottommost_file_compaction_delay", Long.toString(BOTTOMMOST_REWRITE_DELAY_S));
    ColumnFamilyOptions options = ColumnFamilyOptions.getColumnFamilyOptionsFromProps(props);
    if (options == null) {
      throw new IllegalStateException("this RocksDB does not take the option bottommost_file_compaction_delay");
    }
    return options;
  }

  /**
   * RocksDB's write-ahead files past this size make it flush the column families that hold the oldest one back.
   *
   * <p>Why: a write-ahead file is removed only once every column family with rows in it has flushed them. The rows of
   * the log's small column families (its sequence reservations in {@code meta}, idempotency keys, key counts) fill no
   * memtable for a long time, so they held every file back: RocksDB's own bound is four times all the memtables
   * together, about 4.6 GB for this log's nine column families. A node kept that much on disk with no backlog at all,
   * and replayed it all at every start after a {@code kill -9}: session 29's bench left 3.7 GB, which took 7.3 s to
   * open. With this bound a start replays at most about this much, plus a memtable, and the small column families flush
   * a few rows now and then.
   */
  static final long MAX_WAL_BYTES = 256L << 20;

  /**
   * RocksDB removes obsolete write-ahead files (and tables) in the background at this rate, a chunk at a time, rather
   * than all at once on the thread that made them obsolete.
   *
   * <p>Why: every {@link #MAX_WAL_BYTES} written, RocksDB flushes and deletes the write-ahead files that held the
   * oldest rows: about 200 MB in one go. On ext4 that took 95 ms (three files, 26–40 ms each), and the log thread's
   * fsyncs waited for it: a write path stall of 50–70 ms every 14 s at 10,500 writes/s, seen in every paced bench run
   * (session 32, docs/performance.md). Truncated {@value #DELETE_CHUNK_BYTES} bytes at a time, the disk is freed in
   * small steps between syncs. At this rate the deletes keep well ahead of any write rate the log reaches, so the
   * trash never builds up.
   */
  static final long DELETE_BYTES_PER_SEC = 512L << 20;
  /** The most RocksDB truncates of an obsolete file in one step. */
  static final long DELETE_CHUNK_BYTES = 8L << 20;
  /**
   * RocksDB deletes at once when its trash exceeds this many times the live tables: a log whose tables are small
   * (a drained queue) would hit any ratio with one write-ahead file. The rate above bounds the trash instead.
   */
  private static final double NO_TRASH_LIMIT = 1e9;

  /** Files younger than this are not rewritten when a snapshot is let go: 30 days, RocksDB's periodic compaction. */
  static final long BOTTOMMOST_REWRITE_DELAY_S = 30L * 24 * 3600;

  Path dir() {
    return dir;
  }

  /** RocksDB itself: for tests of what the log leaves on disk (its files, its properties). */
  RocksDB rocks() {
    return db;
  }

  private synchronized void startThread() {
    if (closed || (thread != null && thread.isAlive())) {
      return;
    }
    Thread started = new Thread(this::run, "walmesh-local-log");
    started.setDaemon(true);
    started.setUncaughtExceptionHandler((t, e) -> unavailable = "the local log thread stopped: " + e);
    thread = started;
    started.start();
  }

  /**
   * The completions of the tasks of the batch the log thread is finishing, per Vert.x context, handed to each context
   * together once the batch is done ({@link #handOverCompletions}): the appends of one group commit made by one
   * producer reach its event loop as one task, not one each. Log thread only.
   */
  private final Map<io.vertx.core.Context, List<Runnable>> completions = new java.util.IdentityHashMap<>();

  /**
   * Runs {@code completion} on {@code context}: from a task's {@link LogTask#complete} on the log thread, together with
   * the batch's other completions for that context, in the order given; from any other thread (a task failed as it
   * was submitted), at once.
   */
  void completeOn(io.vertx.core.Context context, Runnable completion) {
    if (Thread.currentThread() != thread) {
      context.runOnContext(v -> completion.run());
      return;
    }
    completions.computeIfAbsent(context, c -> new ArrayList<>()).add(completion);
  }

  private void handOverCompletions() {
    if (completions.isEmpty()) {
      return;
    }
    completions.forEach((context, batch) -> context.runOnContext(v -> {
      for (Runnable completion : batch) {
        try {
          completion.run();
        } catch (Throwable t) {
          log.error("Local log: completing a task on its context failed", t);
        }
      }
    }));
    completions.clear();
  }

  /** Queues a task for the log thread; fails it at once when the log is closed. */
  void submit(LogTask task) {
    if (closed) {
      task.complete(new IllegalStateException("the local log at " + dir + " is closed"));
      return;
    }
    if (!thread.isAlive()) {
      // the thread died (e.g. out of memory); the tasks it held may or may not be stored, later ones get a new thread
      log.error("Local log at {}: {}; starting a new log thread", dir, unavailable);
      startThread();
    }
    queue.add(task);
  }

  /** Why the log cannot write now, or null while it can; restarts a dead log thread. From any thread. */
  String unavailable() {
    if (!closed && !thread.isAlive()) {
      startThread();
    }
    return unavailable;
  }

  /** Remembers a failed write: writes fail fast until a retry (with backoff) finds the log writable again. */
  private void markFailed(Throwable failure) {
    if (unavailable == null) {
      log.error("Local log at {} cannot write ({}); refusing writes and retrying with backoff", dir, failure.getMessage());
    }
    unavailable = "the local log at " + dir + " cannot write: " + failure.getMessage();
    retryAtMs = System.currentTimeMillis() + retryBackoffMs;
    retryBackoffMs = Math.min(MAX_RETRY_BACKOFF_MS, retryBackoffMs * 2);
  }

  /** After a failure: once the backoff has passed, probes with a small synced write whether the log writes again. */
  private boolean writable() {
    if (unavailable == null) {
      return true;
    }
    if (System.currentTimeMillis() < retryAtMs) {
      return false;
    }
    try (WriteOptions sync = new WriteOptions().setSync(true)) {
      db.put(meta, sync, PROBE_KEY, Long.toString(System.currentTimeMillis()).getBytes(StandardCharsets.UTF_8));
      log.warn("Local log at {} writes again (after: {})", dir, unavailable);
      unavailable = null;
      retryBackoffMs = MIN_RETRY_BACKOFF_MS;
      return true;
    } catch (RocksDBException e) {
      markFailed(e);
      return false;
    }
  }

  /** How many synced batch writes the log made: fewer than appends when group commit works. */
  long syncedWrites() {
    return syncedWrites.get();
  }

  /** How many tasks went through the log thread. */
  long tasksWritten() {
    return tasksWritten.get();
  }

  byte[] get(ColumnFamilyHandle cf, byte[] key) throws RocksDBException {
    return db.get(cf, key);
  }

  RocksIterator iterator(ColumnFamilyHandle cf) {
    return db.newIterator(cf);
  }

  RocksIterator iterator(ColumnFamilyHandle cf, org.rocksdb.ReadOptions options) {
    return db.newIterator(cf, options);
  }

  /** A consistent view of the log as it is now, until {@link #release}d (on the log thread, before the log closes). */
  org.rocksdb.Snapshot snapshot() {
    return db.getSnapshot();
  }

  void release(org.rocksdb.Snapshot snapshot) {
    db.releaseSnapshot(snapshot);
  }

  boolean isClosed() {
    return closed;
  }

  private void run() {
    List<LogTask> tasks = new ArrayList<>();
    while (!closed || !queue.isEmpty()) {
      try {
        LogTask first = queue.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        long started = System.nanoTime();
        writeNanos = 0;
        tasks.add(first);
        queue.drainTo(tasks, MAX_TASKS_PER_BATCH - 1);
        if (writable()) {
          runBatch(tasks);
        } else {
          failFast(tasks);
        }
        slowTurn(tasks.size(), System.nanoTime() - started);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (Throwable t) {
        log.error("Local log thread failed a batch", t);
      } finally {
        tasks.clear();
        handOverCompletions();
      }
    }
  }

  /** Logs a turn of the log thread that took over {@link #SLOW_TURN_MS}, at most once per {@link #SLOW_LOG_INTERVAL_MS}. */
  private void slowTurn(int tasks, long nanos) {
    long ms = nanos / 1_000_000;
    if (ms < SLOW_TURN_MS) {
      return;
    }
    slowSinceLog++;
    long now = System.currentTimeMillis();
    if (now - slowLoggedAtMs < SLOW_LOG_INTERVAL_MS) {
      return;
    }
    log.warn("Local log at {}: a turn of its thread took {} ms ({} ms of it writing and syncing the batch) for {} tasks;"
        + " the node's local namespaces waited for it{}. A slow disk, or another process using it, shows here",
        dir, ms, writeNanos / 1_000_000, tasks, slowSinceLog == 1 ? ""
            : " (" + slowSinceLog + " turns over " + SLOW_TURN_MS + " ms since the last such message)");
    slowLoggedAtMs = now;
    slowSinceLog = 0;
  }

  private void runBatch(List<LogTask> drained) {
    List<LogTask> tasks = drained;
    if (drained.stream().anyMatch(LogTask::readOnly)) {
      tasks = new ArrayList<>(drained.size());
      for (LogTask task : drained) {
        if (!task.readOnly()) {
          tasks.add(task);
          continue;
        }
        try {
          task.complete(null);
        } catch (Throwable t) {
          log.error("Local log read task failed", t);
        }
      }
    }
    Batch batch = new Batch(tasks.stream().anyMatch(LogTask::readsBatch));
    // only what is on disk counts: a batch that was not written (failed, or on a thread that died) reserved nothing
    reservedUntil = durableReservedUntil;
    boolean sync = false;
    List<LogTask> prepared = new ArrayList<>(tasks.size());
    // set when a failed task's writes could not be taken out of the batch: then none of the batch is written
    Throwable unwritable = null;
    for (LogTask task : tasks) {
      if (unwritable != null) {
        completeQuietly(task, unwritable);
        continue;
      }
      try {
        batch.writes.setSavePoint();
      } catch (Throwable t) {
        completeQuietly(task, t);
        continue;
      }
      long reservedBefore = reservedUntil;
      try {
        sync |= task.prepare(batch);
        batch.writes.popSavePoint();
        prepared.add(task);
      } catch (Throwable t) {
        try {
          batch.writes.rollbackToSavePoint(); // a task that failed half way leaves none of its writes
        } catch (Throwable rollback) {
          log.error("Local log: rolling back a failed task's writes failed; the {} tasks of its batch are not written",
              tasks.size(), rollback);
          unwritable = new IllegalStateException("the local log could not take a failed task's writes out of the batch"
              + " this write shared (" + rollback + "); nothing of that batch was written", rollback);
        }
        reservedUntil = reservedBefore; // its reservation went with its writes; the sequences it took stay unused
        completeQuietly(task, t);
      }
    }
    Throwable failure = unwritable;
    try (AbstractWriteBatch writes = batch.writes; WriteOptions options = new WriteOptions().setSync(sync)) {
      if (failure == null && writes.count() > 0) {
        long writeStarted = System.nanoTime();
        if (writes instanceof WriteBatchWithIndex index) {
          db.write(options, index);
        } else {
          db.write(options, (WriteBatch) writes);
        }
        writeNanos = System.nanoTime() - writeStarted;
        durableReservedUntil = reservedUntil;
        if (sync) {
          syncedWrites.incrementAndGet();
        }
      }
    } catch (Throwable t) {
      failure = t;
      log.error("Local log write of {} tasks failed", prepared.size(), t);
      markFailed(t);
    }
    tasksWritten.addAndGet(prepared.size());
    Throwable[] afterWrite = failure == null ? afterWrite(prepared) : null;
    for (int i = 0; i < prepared.size(); i++) {
      completeQuietly(prepared.get(i), afterWrite == null ? failure : afterWrite[i]);
    }
  }

  /** Runs the written tasks' {@link LogTask#afterWrite} in order; answers their failures by index, or null when none failed. */
  private static Throwable[] afterWrite(List<LogTask> written) {
    Throwable[] failures = null;
    for (int i = 0; i < written.size(); i++) {
      try {
        written.get(i).afterWrite();
      } catch (Throwable t) {
        log.error("Local log: a task's step after its batch was written failed", t);
        if (failures == null) {
          failures = new Throwable[written.size()];
        }
        failures[i] = t;
      }
    }
    return failures;
  }

  /** Completes a task; a completion that throws is logged, and the batch's other tasks still complete. */
  private static void completeQuietly(LogTask task, Throwable failure) {
    try {
      task.complete(failure);
    } catch (Throwable t) {
      log.error("Local log task completion failed", t);
    }
  }

  /** Fails tasks at once, without writing, while the log cannot write. */
  private void failFast(List<LogTask> tasks) {
    IllegalStateException failure = new IllegalStateException(unavailable + " (retrying in "
        + Math.max(0, retryAtMs - System.currentTimeMillis()) + " ms)");
    for (LogTask task : tasks) {
      completeQuietly(task, failure);
    }
  }

  /**
   * Deletes a namespace's schedule index and the row that says it was built, leaving its entries: the log as a walmesh
   * from before the index wrote it. For the tests of an upgrade.
   */
  java.util.concurrent.CompletableFuture<Void> dropScheduleIndex(String namespace) {
    return write(batch -> {
      deletePrefix(Keys.prefix(namespace), due, keyed, keyCounts);
      batch.writes.delete(meta, Schedule.markerKey(namespace));
    });
  }

  /** Writes into a task's batch, on the log thread. */
  @FunctionalInterface
  interface BatchWriter {
    void write(Batch batch) throws Exception;
  }

  /** One task of {@code writes}, synced; the future completes once they are durable, or fails with why not. */
  java.util.concurrent.CompletableFuture<Void> write(BatchWriter writes) {
    java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
    submit(new LogTask() {
      @Override
      public boolean prepare(Batch batch) throws Exception {
        writes.write(batch);
        return true;
      }

      @Override
      public void complete(Throwable failure) {
        if (failure == null) {
          done.complete(null);
        } else {
          done.completeExceptionally(failure);
        }
      }
    });
    return done;
  }

  /**
   * Deletes every key of {@code prefix} in the given column families, in one synced write of its own; runs on the log
   * thread, outside the shared batch (an indexed batch takes no range delete). A caller that must come after every
   * write of the batch its task was prepared in (a destroy) calls it from {@link LogTask#afterWrite}.
   */
  void deletePrefix(byte[] prefix, ColumnFamilyHandle... cfs) throws RocksDBException {
    try (WriteBatch ranges = new WriteBatch(); WriteOptions synced = new WriteOptions().setSync(true)) {
      for (ColumnFamilyHandle cf : cfs) {
        ranges.deleteRange(cf, prefix, Keys.prefixEnd(prefix));
      }
      db.write(synced, ranges);
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (ColumnFamilyHandle handle : handles) {
      handle.close();
    }
    db.close();
    closeOptions();
    log.info("Local log closed at {}", dir);
  }

  private void closeOptions() {
    readOptions.close();
    dbOptions.close();
    obsoleteFiles.close();
    cfOptions.close();
  }
}
