package io.walmesh.backend.local;

import java.util.Arrays;
import java.util.function.LongConsumer;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts what a namespace holds when it opens — its pending entries, then its dead letters — on a snapshot of the log
 * taken at open, a bounded number of rows per turn of the log thread.
 *
 * <p>Why: the log thread writes for every namespace of the node. Counting a backlog of millions of entries in one go
 * held it for seconds, so a namespace that moved to this node (a shard rebalance) or a restart stalled every other
 * namespace's writes for that long. The first turn runs inside the open itself, so a namespace with fewer rows than
 * {@link #rowsPerTurn} is counted exactly when it opens; a larger one is counted by later turns, each queued behind
 * the writes that arrived meanwhile, and its figures count up until it is done.
 *
 * <p>Each turn adds the rows it counted to the namespace's figures at once. The snapshot makes that exact: writes
 * after the open change the figures themselves (an append counts +1, an ack -1), and the snapshot holds none of them.
 * Log thread only, apart from {@link #cancel}.
 */
final class BacklogCount implements LogTask {
  private static final Logger log = LoggerFactory.getLogger(BacklogCount.class);
  /** Rows counted per turn of the log thread: a few milliseconds of its time. Lowered by tests to count in turns. */
  static volatile int rowsPerTurn = 10_000;

  private final LocalLog store;
  private final String namespace;
  private final byte[] prefix;
  private final ColumnFamilyHandle[] families;
  private final LongConsumer[] addTo;
  private final Snapshot snapshot;
  private final long started = System.nanoTime();
  private final long[] counted;
  private int family;
  /** The last row counted in the current family, or null to start at the namespace's first. */
  private byte[] after;
  private int turns;
  private volatile boolean cancelled;
  private boolean released;
  /** Whether every row was counted: the namespace's figures are exact from then on. */
  private volatile boolean done;

  /** Takes the snapshot: call it on the log thread, before the open's batch lets any other write of the namespace in. */
  BacklogCount(LocalLog store, String namespace, byte[] prefix, ColumnFamilyHandle[] families, LongConsumer[] addTo) {
    this.store = store;
    this.namespace = namespace;
    this.prefix = prefix;
    this.families = families;
    this.addTo = addTo;
    this.counted = new long[families.length];
    this.snapshot = store.snapshot();
  }

  /** Counts one turn's rows; returns whether the count is done (the snapshot is released then). */
  boolean turn() {
    if (cancelled || store.isClosed()) {
      release();
      return true;
    }
    int budget = rowsPerTurn;
    turns++;
    while (family < families.length && budget > 0) {
      long rows = 0;
      try (ReadOptions options = new ReadOptions().setSnapshot(snapshot);
           RocksIterator it = store.iterator(families[family], options)) {
        if (after == null) {
          it.seek(prefix);
        } else {
          it.seek(after);
          if (it.isValid() && Arrays.equals(it.key(), after)) {
            it.next();
          }
        }
        byte[] last = null;
        for (; it.isValid() && Keys.startsWith(it.key(), prefix) && rows < budget; it.next()) {
          last = it.key();
          rows++;
        }
        boolean more = it.isValid() && Keys.startsWith(it.key(), prefix);
        if (rows > 0) {
          counted[family] += rows;
          addTo[family].accept(rows);
        }
        budget -= (int) rows;
        if (more) {
          after = last;
        } else {
          family++;
          after = null;
        }
      }
    }
    if (family < families.length) {
      return false;
    }
    done = true;
    release();
    if (turns > 1) {
      log.info("Namespace {}: counted {} stored rows ({}) in {} turns of the log thread, {} ms", namespace,
          Arrays.stream(counted).sum(), Arrays.toString(counted), turns, (System.nanoTime() - started) / 1_000_000);
    }
    return true;
  }

  /**
   * Whether the count is done. Until then the namespace's figures are the rows counted so far plus the changes since
   * the open, which can be lower than what it holds (an ack of an entry not yet counted), even below zero.
   */
  boolean done() {
    return done;
  }

  /** Stops the count (the namespace closed or was destroyed): its next turn releases the snapshot and does nothing. */
  void cancel() {
    cancelled = true;
  }

  private void release() {
    if (!released) {
      released = true;
      store.release(snapshot);
    }
  }

  /** Queues the next turn behind whatever the log thread holds now. */
  void continueLater() {
    store.submit(this);
  }

  @Override
  public boolean readOnly() {
    return true; // runs on the log thread ahead of the batch it is drained with: reads only the snapshot
  }

  @Override
  public boolean prepare(LocalLog.Batch batch) {
    throw new IllegalStateException("a read-only task is never prepared");
  }

  @Override
  public void complete(Throwable failure) {
    // A failure here is the log refusing writes (or closed): the count only reads, so it goes on unless closed.
    if (!turn()) {
      continueLater();
    }
  }
}
