package io.walmesh.backend.local;

import io.vertx.core.Future;
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

  /** The first {@code limit} dead letters, oldest first. */
  Future<List<EntryRecord>> list(int limit) {
    return backend.run(batch -> false, () -> {
      List<EntryRecord> records = new ArrayList<>();
      try (RocksIterator it = log.iterator(log.deadLetters)) {
        for (it.seek(prefix); it.isValid() && Keys.startsWith(it.key(), prefix) && records.size() < limit; it.next()) {
          records.add(LocalBackend.parse(it.value()));
        }
      }
      return records;
    });
  }

  /** Puts dead letters (all when {@code entryIds} is empty) back at the end of the queue, due now. */
  Future<Integer> replay(List<String> entryIds) {
    Set<String> ids = new HashSet<>(entryIds);
    int[] replayed = {0};
    return backend.run(batch -> {
      replayed[0] = 0;
      long now = System.currentTimeMillis();
      try (RocksIterator it = log.iterator(log.deadLetters)) {
        for (it.seek(prefix); it.isValid() && Keys.startsWith(it.key(), prefix); it.next()) {
          EntryRecord dead = LocalBackend.parse(it.value());
          if (!ids.isEmpty() && !ids.contains(dead.getEntryId())) {
            continue;
          }
          // A replayed entry keeps its id and write time, goes to the back of its key, due now.
          EntryRecord again = dead.toBuilder().setAttempts(0).setDueAtMs(now).setDeadAtMs(0).build();
          long seq = batch.nextSeq();
          batch.writes.delete(log.deadLetters, it.key());
          batch.writes.put(log.entries, Keys.seqKey(prefix, seq), again.toByteArray());
          schedule.add(batch, seq, again.getDueAtMs(), again.getKey());
          replayed[0]++;
        }
      }
      return true;
    }, () -> {
      schedule.counted(replayed[0]);
      count.addAndGet(-replayed[0]);
      backend.refreshStats();
      backend.notifyAvailable();
      return replayed[0];
    });
  }

  /** Deletes dead letters (all when {@code entryIds} is empty). */
  Future<Integer> purge(List<String> entryIds) {
    Set<String> ids = new HashSet<>(entryIds);
    int[] purged = {0};
    return backend.run(batch -> {
      try (RocksIterator it = log.iterator(log.deadLetters)) {
        for (it.seek(prefix); it.isValid() && Keys.startsWith(it.key(), prefix); it.next()) {
          if (ids.isEmpty() || ids.contains(LocalBackend.parse(it.value()).getEntryId())) {
            batch.writes.delete(log.deadLetters, it.key());
            purged[0]++;
          }
        }
      }
      return true;
    }, () -> {
      count.addAndGet(-purged[0]);
      return purged[0];
    });
  }
}
