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
   * of the log thread at a time ({@link Walk}: 10,000 rows or 16 MiB read per turn, each turn one synced batch), so a queue of
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

  private interface Action {
    void apply(LocalLog.Batch batch, byte[] key, EntryRecord dead) throws Exception;
  }

  /**
   * Applies the action to the chosen dead letters that were there when it began, a {@link Walk} turn at a time (each
   * turn one synced batch), and hands each turn's count to {@code written} once that batch is written.
   */
  private Future<Integer> inTurns(List<String> entryIds, Action action, java.util.function.IntConsumer written) {
    Set<String> ids = new HashSet<>(entryIds);
    boolean wanted = !ids.isEmpty();
    byte[][] last = {null};
    int[] inTurn = {0};
    int[] total = {0};
    return Walk.walk(backend, log, log.deadLetters, prefix, (batch, key, value) -> {
      if (last[0] == null) { // the first row: the pass covers the dead letters there now
        try (RocksIterator it = log.iterator(log.deadLetters)) {
          it.seekForPrev(Keys.prefixEnd(prefix));
          last[0] = it.key();
        }
      }
      if (java.util.Arrays.compareUnsigned(key, last[0]) > 0) {
        return false;
      }
      if (batch.get(log.deadLetters, key) == null) {
        return true; // moved or purged by another task earlier in this batch
      }
      EntryRecord dead = LocalBackend.parse(value);
      if (!wanted || ids.remove(dead.getEntryId())) {
        action.apply(batch, key, dead);
        inTurn[0]++;
      }
      return !(wanted && ids.isEmpty()); // every chosen entry was found
    }, true, () -> {
      if (inTurn[0] > 0) {
        total[0] += inTurn[0];
        written.accept(inTurn[0]);
        inTurn[0] = 0;
      }
    }).map(v -> total[0]);
  }
}
