package io.walmesh.backend.local;

import io.vertx.core.Future;
import io.walmesh.spi.backend.AppendException;
import io.walmesh.spi.backend.ReplayRequest;
import io.walmesh.spi.backend.ReplayStatus;
import io.walmesh.spi.entry.EntryRecord;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksIterator;

/**
 * The replays of one {@code local} namespace ({@link io.walmesh.spi.backend.ReplayableBackend}): delivered entries
 * kept for {@code retention-ms} put back in the queue, each replay in one batch, and the progress of the last
 * {@value #MAX_REMEMBERED_REPLAYS} replays since the namespace opened. Its tasks run on the log thread through
 * {@link LocalBackend#run}.
 */
final class Replays {
  /** Replays started since the backend opened: their sequences, and how many entries they skipped. Log thread only. */
  private final Map<String, Replayed> replays = new java.util.LinkedHashMap<>();
  /** How many replays' progress is remembered; the oldest is forgotten first. */
  private static final int MAX_REMEMBERED_REPLAYS = 100;
  private final AtomicLong replayIds = new AtomicLong();

  /** A replay's requeued entries: the sequences from {@code first} to {@code last}, given to it in one batch. */
  private record Replayed(long first, long last, long excluded) {
    long count() {
      return last < first ? 0 : last - first + 1;
    }
  }

  /** The most entries one replay requeues; one that covers more is refused whole (they are written in one batch). */
  static final String MAX_REPLAY_PROPERTY = "walmesh.local.max-replay-entries";
  static final long DEFAULT_MAX_REPLAY_ENTRIES = 100_000;
  /**
   * The most bytes of entries one replay requeues: the batch holds them all (payloads included) in native memory
   * before it is written, so a replay of large payloads is bounded by bytes as well as by entries.
   */
  static final String MAX_REPLAY_BYTES_PROPERTY = "walmesh.local.max-replay-bytes";
  static final long DEFAULT_MAX_REPLAY_BYTES = 256L << 20;

  private final LocalBackend backend;
  private final LocalLog log;
  private final String namespace;
  private final byte[] prefix;
  private final Schedule schedule;

  Replays(LocalBackend backend, LocalLog log, String namespace, byte[] prefix, Schedule schedule) {
    this.backend = backend;
    this.log = log;
    this.namespace = namespace;
    this.prefix = prefix;
    this.schedule = schedule;
  }

  /** Requeues the delivered entries the request covers, in one batch; refused whole past {@link #maxReplayEntries}. */
  Future<ReplayStatus> replay(ReplayRequest request) {
    String id = namespace + "-" + System.currentTimeMillis() + "-" + replayIds.incrementAndGet();
    long maxEntries = maxReplayEntries();
    long maxBytes = ReplayRequest.limit(MAX_REPLAY_BYTES_PROPERTY, DEFAULT_MAX_REPLAY_BYTES, "bytes");
    long[] range = {0, -1};
    long[] excluded = {0};
    return backend.run(batch -> {
      long now = System.currentTimeMillis();
      long count = 0;
      long bytes = 0;
      excluded[0] = 0;
      try (RocksIterator it = log.iterator(log.delivered)) {
        for (it.seek(prefix); it.isValid() && Keys.startsWith(it.key(), prefix); it.next()) {
          EntryRecord kept = LocalBackend.parse(it.value());
          if (!request.covers(kept)) {
            continue;
          }
          if (request.excludedEntryIds().contains(kept.getEntryId())) {
            excluded[0]++;
            continue;
          }
          bytes += it.value().length;
          if (bytes > maxBytes) { // refused whole: the task's writes are rolled back
            throw new AppendException(AppendException.Kind.NOT_STORED, "replay of namespace " + namespace
                + " refused: it covers more than " + maxBytes + " bytes of delivered entries, the most one replay"
                + " requeues (-D" + MAX_REPLAY_BYTES_PROPERTY + "); nothing was requeued. Replay shorter time ranges"
                + " (from-ms, to-ms) one after another; see docs/limits.md#local-backend", null);
          }
          if (++count > maxEntries) { // refused whole: the task's writes are rolled back
            throw new AppendException(AppendException.Kind.NOT_STORED, "replay of namespace " + namespace
                + " refused: it covers more than " + maxEntries + " delivered entries, the most one replay requeues"
                + " (-D" + MAX_REPLAY_PROPERTY + "); nothing was requeued. Replay shorter time ranges (from-ms, to-ms)"
                + " one after another; see docs/limits.md#local-backend", null);
          }
          long seq = batch.nextSeq(); // one task's sequences are consecutive: no other task prepares meanwhile
          if (count == 1) {
            range[0] = seq;
          }
          range[1] = seq;
          EntryRecord again = request.requeue(kept, id, now);
          batch.writes.put(log.entries, Keys.seqKey(prefix, seq), again.toByteArray());
          schedule.add(batch, seq, again.getDueAtMs(), again.getKey());
        }
      }
      return count > 0;
    }, () -> {
      Replayed replayed = new Replayed(range[0], range[1], excluded[0]);
      schedule.counted(replayed.count());
      if (replays.size() >= MAX_REMEMBERED_REPLAYS) {
        replays.remove(replays.keySet().iterator().next());
      }
      replays.put(id, replayed);
      backend.refreshStats();
      backend.notifyAvailable();
      return new ReplayStatus(id, replayed.count(), excluded[0], replayed.count(), 0);
    });
  }

  /** The most entries one replay requeues: {@value #DEFAULT_MAX_REPLAY_ENTRIES}, or the system property. */
  static long maxReplayEntries() {
    return ReplayRequest.limit(MAX_REPLAY_PROPERTY, DEFAULT_MAX_REPLAY_ENTRIES, "entries");
  }


  /** A replay's progress: how many of its entries are still pending, and how many went to the DLQ. */
  Future<ReplayStatus> status(String id) {
    return backend.run(batch -> false, () -> {
      Replayed replayed = replays.get(id);
      if (replayed == null) {
        throw new java.util.NoSuchElementException("no replay " + id + " of namespace " + namespace
            + " since this node started");
      }
      long remaining = countIn(log.entries, replayed);
      long dead = countIn(log.deadLetters, replayed);
      return new ReplayStatus(id, replayed.count(), replayed.excluded(), remaining, dead);
    });
  }

  /** How many of a replay's sequences have a row in the column family. */
  private long countIn(ColumnFamilyHandle cf, Replayed replayed) {
    long count = 0;
    try (RocksIterator it = log.iterator(cf)) {
      for (it.seek(Keys.seqKey(prefix, replayed.first())); it.isValid() && Keys.startsWith(it.key(), prefix)
          && Keys.seqOf(it.key()) <= replayed.last(); it.next()) {
        count++;
      }
    }
    return count;
  }
}
