package io.walmesh.backend.local;

import io.vertx.core.Future;
import java.util.Arrays;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksIterator;

/**
 * Walks a namespace's rows of one column family a turn of the log thread at a time: each turn reads at most
 * {@link #rowsPerTurn} rows from where the last one stopped, and writes what it decided in that turn's batch. Between
 * turns the log thread writes for every other task, so a sweep over millions of rows never holds the node's writes up
 * for more than a turn. Used by the sweeps of retained entries and idempotency keys.
 */
final class Walk {
  /** Rows one turn reads. Lowered by tests to walk in turns. */
  static volatile int rowsPerTurn = 10_000;

  /** What a walk does with one row; answers whether to go on to the next. */
  interface Step {
    boolean row(LocalLog.Batch batch, byte[] key, byte[] value) throws Exception;
  }

  private final LocalBackend backend;
  private final LocalLog log;
  private final ColumnFamilyHandle family;
  private final byte[] prefix;
  private final Step step;
  /** The last row read, or null before the first turn. Log thread only. */
  private byte[] after;
  private boolean done;

  private Walk(LocalBackend backend, LocalLog log, ColumnFamilyHandle family, byte[] prefix, Step step) {
    this.backend = backend;
    this.log = log;
    this.family = family;
    this.prefix = prefix;
    this.step = step;
  }

  /** Walks {@code family}'s rows under {@code prefix} in key order until {@code step} says stop or they end. */
  static Future<Void> walk(LocalBackend backend, LocalLog log, ColumnFamilyHandle family, byte[] prefix, Step step) {
    return new Walk(backend, log, family, prefix, step).turn();
  }

  private Future<Void> turn() {
    return backend.run(batch -> {
      done = true;
      int read = 0;
      try (RocksIterator it = log.iterator(family)) { // the log as written: rows this walk deletes are in its batch
        it.seek(after == null ? prefix : after);
        if (after != null && it.isValid() && Arrays.equals(it.key(), after)) {
          it.next();
        }
        for (; it.isValid() && Keys.startsWith(it.key(), prefix); it.next()) {
          if (read++ == rowsPerTurn) {
            done = false;
            break;
          }
          after = it.key();
          if (!step.row(batch, after, it.value())) {
            break;
          }
        }
      }
      return false;
    }, () -> done).compose(finished -> finished ? Future.succeededFuture() : turn());
  }
}
