package io.walmesh.backend.local;

import io.vertx.core.Future;
import java.util.Arrays;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksIterator;

/**
 * Walks a namespace's rows of one column family a turn of the log thread at a time: each turn reads at most
 * {@link #rowsPerTurn} rows ({@link #MAX_BYTES_PER_TURN} of values, or one row) from where the last one stopped, and
 * writes what it decided in that turn's batch. Between turns the log thread writes for every other task, so a walk over
 * millions of rows never holds the node's writes up for more than a turn. It reads the log as written, not the batch:
 * a step that must not act on a row an earlier task of the same batch changed checks it with
 * {@link LocalLog.Batch#get}. Used by the sweeps of retained entries and idempotency keys, and by DLQ replay and
 * purge.
 */
final class Walk {
  /** Rows one turn reads. Lowered by tests to walk in turns. */
  static volatile int rowsPerTurn = 10_000;
  /** Bytes of values one turn reads at most (whole rows: a turn reads at least one). */
  static final long MAX_BYTES_PER_TURN = 16L << 20;

  /** What a walk does with one row; answers whether to go on to the next. */
  interface Step {
    boolean row(LocalLog.Batch batch, byte[] key, byte[] value) throws Exception;
  }

  private final LocalBackend backend;
  private final LocalLog log;
  private final ColumnFamilyHandle family;
  private final byte[] prefix;
  private final Step step;
  /** Whether each turn's batch is synced: the walk's writes are answered to someone as done. */
  private final boolean sync;
  /** Runs on the log thread once each turn's batch is written. */
  private final Runnable afterTurn;
  /** The last row read, or null before the first turn. Log thread only. */
  private byte[] after;
  private boolean done;

  private Walk(LocalBackend backend, LocalLog log, ColumnFamilyHandle family, byte[] prefix, Step step, boolean sync,
               Runnable afterTurn) {
    this.backend = backend;
    this.log = log;
    this.family = family;
    this.prefix = prefix;
    this.step = step;
    this.sync = sync;
    this.afterTurn = afterTurn;
  }

  /** Walks {@code family}'s rows under {@code prefix} in key order until {@code step} says stop or they end. */
  static Future<Void> walk(LocalBackend backend, LocalLog log, ColumnFamilyHandle family, byte[] prefix, Step step) {
    return walk(backend, log, family, prefix, step, false, () -> { });
  }

  /** {@link #walk}, each turn's batch synced when {@code sync}, and {@code afterTurn} run once it is written. */
  static Future<Void> walk(LocalBackend backend, LocalLog log, ColumnFamilyHandle family, byte[] prefix, Step step,
                           boolean sync, Runnable afterTurn) {
    return new Walk(backend, log, family, prefix, step, sync, afterTurn).turn();
  }

  private Future<Void> turn() {
    return backend.run(batch -> {
      done = true;
      int read = 0;
      long bytes = 0;
      try (RocksIterator it = log.iterator(family)) { // the log as written: rows this walk deletes are in its batch
        it.seek(after == null ? prefix : after);
        if (after != null && it.isValid() && Arrays.equals(it.key(), after)) {
          it.next();
        }
        for (; it.isValid() && Keys.startsWith(it.key(), prefix); it.next()) {
          if (read++ == rowsPerTurn || bytes >= MAX_BYTES_PER_TURN) {
            done = false;
            break;
          }
          after = it.key();
          byte[] value = it.value();
          bytes += value.length;
          if (!step.row(batch, after, value)) {
            break;
          }
        }
      }
      return sync;
    }, () -> {
      afterTurn.run();
      return done;
    }).compose(finished -> finished ? Future.succeededFuture() : turn());
  }
}
