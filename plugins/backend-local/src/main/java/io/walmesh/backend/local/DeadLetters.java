package io.walmesh.backend.local;

import io.vertx.core.Future;
import io.walmesh.spi.backend.DeadLetterBackend;
import io.walmesh.spi.entry.EntryRecord;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.rocksdb.RocksIterator;

/**
 * The dead letters of one {@code local} namespace ({@link io.walmesh.spi.backend.DeadLetterBackend}), kept in the log's
 * {@code dead-letters} column family by sequence: listed, put back in the queue (a new sequence, at the back of its
 * key) and purged. Its tasks run on the log thread through {@link LocalBackend#run}.
 */
final class DeadLetters {
  private final LocalBackend backend;
  private final LocalLog log;
  private final byte[] prefix;
  private final Schedule schedule;
  /** The namespace's dead-letter count, shared with the backend's stats. */
  private final AtomicLong count;

  DeadLetters(LocalBackend backend, LocalLog log, byte[] prefix, Schedule schedule, AtomicLong count) {
    this.backend = backend;
    this.log = log;
    this.prefix = prefix;
    this.schedule = schedule;
    this.count = count;
  }

  /** The first {@code limit} dead letters, oldest first, up to {@link DeadLetterBackend#MAX_LIST_BYTES} of payloads. */
  Future<List<EntryRecord>> list(int limit) {
    return backend.run(batch -> false, () -> {
      List<EntryRecord> records = new ArrayList<>();
      long bytes = 0;
      try (RocksIterator it = log.iterator(log.deadLetters)) {
        for (it.seek(prefix); it.isValid() && Keys.startsWith(it.key(), prefix) && records.size() < limit
            && bytes < DeadLetterBackend.MAX_LIST_BYTES; it.next()) {
          byte[] value = it.value();
          bytes += value.length;
          records.add(LocalBackend.parse(value));
        }
      }
      return records;
    });
  }

  /**
   * Puts dead letters (all when {@code entryIds} is empty) back at the end of the queue, due now. It moves them a turn
   * of the log thread at a time ({@link #rowsPerTurn} rows read per turn, each turn one synced batch), so a queue of
   * millions neither stalls the node's other writes nor builds one batch of all of them; each dead letter moves in one
   * batch, so a crash part way leaves each one either replayed or still dead, never both or lost. Dead letters written
   * after the replay began (an entry it replayed that failed again) are left for the next replay.
   */
  Future<Integer> replay(List<String> entryIds) {
    return inTurns(entryIds, (batch, key, dead) -> {
      // A replayed entry keeps its id and write time, goes to the back of its key, due now.
      EntryRecord again = dead.toBuilder().setAttempts(0).setDueAtMs(System.currentTimeMillis()).setDeadAtMs(0).build();
      long seq = batch.nextSeq();
      batch.writes.delete(log.deadLetters, key);
      batch.writes.put(log.entries, Keys.seqKey(prefix, seq), again.toByteArray());
      schedule.add(batch, seq, again.getDueAtMs(), again.getKey());
    }, moved -> {
      schedule.counted(moved);
      count.addAndGet(-moved);
      backend.refreshStats();
      backend.notifyAvailable();
    });
  }

  /** Deletes dead letters (all when {@code entryIds} is empty), a turn of the log thread at a time as {@link #replay}. */
  Future<Integer> purge(List<String> entryIds) {
    return inTurns(entryIds, (batch, key, dead) -> batch.writes.delete(log.deadLetters, key),
        purged -> count.addAndGet(-purged));
  }

  /** Rows of the dead-letter queue one turn of a replay or purge reads. Lowered by tests to act in turns. */
  static volatile int rowsPerTurn = 10_000;
  /** Bytes of dead letters one turn reads at most (whole rows: a turn reads at least one). */
  private static final long MAX_BYTES_PER_TURN = 16L << 20;

  private interface Action {
    void apply(LocalLog.Batch batch, byte[] key, EntryRecord dead) throws Exception;
  }

  /** Applies the action to the chosen dead letters that were there when it began, one turn after another. */
  private Future<Integer> inTurns(List<String> entryIds, Action action, java.util.function.IntConsumer written) {
    Pass pass = new Pass(new HashSet<>(entryIds));
    return turn(pass, action, written);
  }

  private Future<Integer> turn(Pass pass, Action action, java.util.function.IntConsumer written) {
    int[] chosen = {0};
    return backend.run(batch -> {
      chosen[0] = 0;
      if (pass.last == null) { // first turn: the replay covers the dead letters there now
        try (RocksIterator it = batch.iterator(log.deadLetters)) {
          it.seekForPrev(Keys.prefixEnd(prefix));
          pass.last = it.isValid() && Keys.startsWith(it.key(), prefix) ? it.key() : new byte[0];
        }
      }
      pass.done = true;
      if (pass.last.length == 0) {
        return false;
      }
      // Read first, then write: an iterator over the batch is not read while the batch changes under it.
      List<byte[]> keys = new ArrayList<>();
      List<EntryRecord> rows = new ArrayList<>();
      int read = 0;
      long bytes = 0;
      try (RocksIterator it = batch.iterator(log.deadLetters)) {
        it.seek(pass.after == null ? prefix : pass.after);
        if (pass.after != null && it.isValid() && java.util.Arrays.equals(it.key(), pass.after)) {
          it.next();
        }
        for (; it.isValid() && Keys.startsWith(it.key(), prefix)
            && java.util.Arrays.compareUnsigned(it.key(), pass.last) <= 0; it.next()) {
          if (read == rowsPerTurn || bytes >= MAX_BYTES_PER_TURN) {
            pass.done = false;
            break;
          }
          read++;
          byte[] key = it.key();
          byte[] value = it.value();
          bytes += value.length;
          pass.after = key;
          EntryRecord dead = LocalBackend.parse(value);
          if (!pass.wanted || pass.ids.remove(dead.getEntryId())) {
            keys.add(key);
            rows.add(dead);
          }
          if (pass.wanted && pass.ids.isEmpty()) {
            break; // every chosen entry was found
          }
        }
      }
      for (int i = 0; i < keys.size(); i++) {
        action.apply(batch, keys.get(i), rows.get(i));
      }
      chosen[0] = keys.size();
      return chosen[0] > 0;
    }, () -> {
      pass.total += chosen[0];
      if (chosen[0] > 0) {
        written.accept(chosen[0]);
      }
      return pass.done;
    }).compose(done -> done ? Future.succeededFuture(pass.total) : turn(pass, action, written));
  }

  /** Where a replay or purge is; touched by one turn at a time, on the log thread. */
  private static final class Pass {
    final Set<String> ids;
    /** Whether particular entries were asked for: the pass ends once they are all found. */
    final boolean wanted;
    byte[] last;
    byte[] after;
    boolean done;
    int total;

    Pass(Set<String> ids) {
      this.ids = ids;
      this.wanted = !ids.isEmpty();
    }
  }
}
