package io.walmesh.backend.local;

import com.google.protobuf.InvalidProtocolBufferException;
import io.walmesh.spi.entry.EntryRecord;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The schedule of one namespace's pending entries: which are due, which are leased, and — when the namespace is
 * ordered by key — which entry is the head of its key. It lives on disk beside the entries, so a backlog of any size
 * (a target down for hours, entries delayed for days) costs disk, not heap. Only the log thread touches it.
 *
 * <p>Two indexes in the {@link LocalLog}, written in the same batch as the entries they index, so they are exactly as
 * durable as the entries:
 * <ul>
 *   <li>{@link LocalLog#due}: a row (due time, sequence) for each entry that may be delivered once due. That is every
 *   entry of a namespace not ordered by key; of an ordered one, the entries without a key and the first pending entry
 *   (the head) of each key.</li>
 *   <li>{@link LocalLog#keyed}, ordered namespaces only: a row (key, sequence) holding the due time, for every pending
 *   entry with a key. When a head is settled, the next row of its key gets its due row.</li>
 * </ul>
 * A task reads the indexes through its batch ({@link LocalLog.Batch#iterator}), so it sees what the tasks before it in
 * the same group commit wrote. A third, {@link LocalLog#keyCounts}, holds how many pending entries each key has, so
 * that an append learns whether it is its key's head with a point read.
 *
 * <p>A queue in an LSM tree leaves a trail of deletions (tombstones) where its delivered entries were, until a
 * compaction drops them; a scan that starts before them steps over every one. No scan here does: the poll starts at a
 * floor below which the due index holds no row that is not leased (each row put lowers it; a poll raises it to where
 * it stopped), and the next entry of a key is looked for after the head just settled.
 *
 * <p>In memory: the leased entries only (at most what the namespace's consumer has in flight, plus the entries whose
 * settle failed, held back for a backoff), and counts. A lease is not written to disk: after a restart every entry is
 * pending again, as before.
 *
 * <p>A namespace opened without the indexes (written by a walmesh before them) or with indexes built for the other
 * ordering has them built from its entries first, without holding the entries in memory; a row in the log's meta
 * column family says which ordering they were built for.
 */
final class Schedule {
  private static final Logger log = LoggerFactory.getLogger(Schedule.class);
  private static final byte[] EMPTY = new byte[0];
  /** Rows written per batch while building the indexes from the entries. */
  private static final int REBUILD_CHUNK = 10_000;
  /** How often (ms) the stats look for the oldest due entry, which takes a read of the due index. */
  private static final long LAG_EVERY_MS = 500;

  /** A leased entry: its sequence and the due time of its row in the due index. */
  record Item(long seq, long dueAt) {
  }

  /** A leased entry's state: its row's due time, and when it may be leased again if its settle failed. */
  private static final class Held {
    final long dueAt;
    long heldUntil = Long.MAX_VALUE;

    Held(long dueAt) {
      this.dueAt = dueAt;
    }
  }

  private final LocalLog store;
  private final String namespace;
  private final byte[] prefix;
  private final boolean orderedByKey;
  private final byte[] markerKey;
  private final Map<Long, Held> leased = new HashMap<>();
  /**
   * Every row of the due index that is not leased is at or after (floorDue, floorSeq). Leased rows stay in the index
   * (a lease is not written to disk) but behind the floor, so a poll neither re-reads them nor the deleted rows around
   * them.
   */
  private long floorDue = Long.MIN_VALUE;
  private long floorSeq = Long.MIN_VALUE;
  private long size;
  /** Leases held by the consumer now: those in {@link #leased} not held back after a failed settle. */
  private int active;
  private long lag;
  private long lagComputedAt;

  Schedule(LocalLog store, String namespace, byte[] prefix, boolean orderedByKey) {
    this.store = store;
    this.namespace = namespace;
    this.prefix = prefix;
    this.orderedByKey = orderedByKey;
    this.markerKey = markerKey(namespace);
  }

  /** The meta row that says which ordering a namespace's index was built for. */
  static byte[] markerKey(String namespace) {
    return ("schedule-index/" + namespace).getBytes(StandardCharsets.UTF_8);
  }

  private boolean keyed(String key) {
    return orderedByKey && !key.isEmpty();
  }

  private static byte[] keyedKey(byte[] group, long seq) {
    return ByteBuffer.allocate(group.length + Long.BYTES).put(group).putLong(seq).array();
  }

  private static byte[] longBytes(long value) {
    return ByteBuffer.allocate(Long.BYTES).putLong(value).array();
  }

  // ---- in a batch (a task's prepare) ----

  /**
   * Builds the indexes when the namespace has none or has them for the other ordering, and then knows how many entries
   * are pending. Writes the rows it builds straight to the log; the marker that says they are complete goes in the
   * batch. Returns whether the index was there already: the pending entries are then still to be counted
   * ({@link BacklogCount}), and {@link #size} counts only the changes made after this.
   */
  boolean load(LocalLog.Batch batch) throws RocksDBException {
    byte[] built = (orderedByKey ? "ordered-by-key" : "unordered").getBytes(StandardCharsets.UTF_8);
    RocksDB db = batch.db();
    if (Arrays.equals(built, db.get(store.meta, markerKey))) {
      size = 0;
      return true;
    }
    size = rebuild(db);
    batch.writes.put(store.meta, markerKey, built);
    return false;
  }

  /** Builds both indexes from the stored entries, a chunk of rows at a time. Returns how many entries are pending. */
  private long rebuild(RocksDB db) throws RocksDBException {
    long started = System.nanoTime();
    // rows of indexes built for the other ordering, or of a build cut short, go first
    store.deletePrefix(prefix, store.due, store.keyed, store.keyCounts);
    long count = 0;
    try (WriteBatch chunk = new WriteBatch(); WriteOptions options = new WriteOptions()) {
      try (RocksIterator it = db.newIterator(store.entries)) {
        for (it.seek(prefix); it.isValid() && Keys.startsWith(it.key(), prefix); it.next()) {
          EntryRecord entry = parse(it.value());
          long seq = Keys.seqOf(it.key());
          count++;
          if (keyed(entry.getKey())) {
            chunk.put(store.keyed, keyedKey(Keys.keyGroup(prefix, entry.getKey()), seq), longBytes(entry.getDueAtMs()));
          } else {
            chunk.put(store.due, Keys.dueKey(prefix, entry.getDueAtMs(), seq), EMPTY);
          }
          flushAt(db, options, chunk, REBUILD_CHUNK);
        }
      }
      flushAt(db, options, chunk, 1);
      if (orderedByKey) { // the first row of each key is its head; each key's rows are counted
        byte[] group = null;
        long inGroup = 0;
        try (RocksIterator it = db.newIterator(store.keyed)) {
          for (it.seek(prefix); it.isValid() && Keys.startsWith(it.key(), prefix); it.next()) {
            byte[] key = it.key();
            if (group == null || !Keys.startsWith(key, group) || key.length != group.length + Long.BYTES) {
              if (group != null) {
                chunk.put(store.keyCounts, group, longBytes(inGroup));
              }
              group = Arrays.copyOf(key, key.length - Long.BYTES);
              inGroup = 0;
              chunk.put(store.due, Keys.dueKey(prefix, ByteBuffer.wrap(it.value()).getLong(), Keys.seqOf(key)), EMPTY);
              flushAt(db, options, chunk, REBUILD_CHUNK);
            }
            inGroup++;
          }
        }
        if (group != null) {
          chunk.put(store.keyCounts, group, longBytes(inGroup));
        }
        flushAt(db, options, chunk, 1);
      }
    }
    if (count > 0) {
      log.info("Namespace {}: built the schedule's index of its {} pending entries ({}) in {} ms", namespace, count,
          orderedByKey ? "ordered by key" : "unordered", (System.nanoTime() - started) / 1_000_000);
    }
    return count;
  }

  private static void flushAt(RocksDB db, WriteOptions options, WriteBatch chunk, int rows) throws RocksDBException {
    if (chunk.count() >= rows) {
      db.write(options, chunk);
      chunk.clear();
    }
  }

  /** Indexes an entry this batch writes with a new sequence (the highest of the namespace so far). */
  void add(LocalLog.Batch batch, long seq, long dueAt, String key) throws RocksDBException {
    if (!keyed(key)) {
      putDue(batch, dueAt, seq);
      return;
    }
    byte[] group = Keys.keyGroup(prefix, key);
    long pending = keyCount(batch, group);
    batch.writes.put(store.keyCounts, group, longBytes(pending + 1));
    batch.writes.put(store.keyed, keyedKey(group, seq), longBytes(dueAt));
    if (pending == 0) {
      putDue(batch, dueAt, seq); // the key's head
    }
  }

  /** How many pending entries a key has, as the log will be once this batch is written. */
  private long keyCount(LocalLog.Batch batch, byte[] group) throws RocksDBException {
    byte[] count = batch.get(store.keyCounts, group);
    return count == null ? 0 : ByteBuffer.wrap(count).getLong();
  }

  /**
   * Unindexes a leased entry this batch deletes (delivered or dead-lettered); the next entry of its key becomes the
   * head. {@code dueAt} is the due time of the entry as leased, used if this schedule no longer holds the lease.
   */
  void remove(LocalLog.Batch batch, long seq, String key, long dueAt) throws RocksDBException {
    batch.writes.delete(store.due, Keys.dueKey(prefix, rowDue(seq, dueAt), seq));
    if (!keyed(key)) {
      return;
    }
    byte[] group = Keys.keyGroup(prefix, key);
    batch.writes.delete(store.keyed, keyedKey(group, seq));
    long pending = keyCount(batch, group) - 1;
    // the head is the key's lowest sequence: its next entry is the first row after it (none before it is pending, so
    // the seek steps over no deleted rows)
    try (RocksIterator it = batch.iterator(store.keyed)) {
      it.seek(keyedKey(group, seq + 1));
      if (it.isValid() && Keys.startsWith(it.key(), group) && it.key().length == group.length + Long.BYTES) {
        putDue(batch, ByteBuffer.wrap(it.value()).getLong(), Keys.seqOf(it.key()));
        batch.writes.put(store.keyCounts, group, longBytes(Math.max(1, pending)));
      } else {
        batch.writes.delete(store.keyCounts, group);
      }
    }
  }

  /** Moves a leased entry this batch writes again (a retry) to its new due time; it stays the head of its key. */
  void reschedule(LocalLog.Batch batch, long seq, String key, long dueAt, long newDueAt) throws RocksDBException {
    batch.writes.delete(store.due, Keys.dueKey(prefix, rowDue(seq, dueAt), seq));
    putDue(batch, newDueAt, seq);
    if (keyed(key)) {
      batch.writes.put(store.keyed, keyedKey(Keys.keyGroup(prefix, key), seq), longBytes(newDueAt));
    }
  }

  /** Puts a due-index row, and lowers the floor to it if it is below. */
  private void putDue(LocalLog.Batch batch, long dueAt, long seq) throws RocksDBException {
    batch.writes.put(store.due, Keys.dueKey(prefix, dueAt, seq), EMPTY);
    if (dueAt < floorDue || dueAt == floorDue && seq < floorSeq) {
      floorDue = dueAt;
      floorSeq = seq;
    }
  }

  private long rowDue(long seq, long dueAt) {
    Held held = leased.get(seq);
    return held == null ? dueAt : held.dueAt;
  }

  /**
   * Forgets which ordering the namespace's indexes were built for (it is being destroyed); the destroy deletes the
   * indexes' rows with the entries, once its batch is written ({@link LocalBackend#destroy}).
   */
  void destroy(LocalLog.Batch batch) throws RocksDBException {
    batch.writes.delete(store.meta, markerKey);
  }

  // ---- after a batch is written (a task's complete) ----

  /**
   * Leases up to {@code max} entries due at {@code now}, earliest due first: first the leased entries whose settle
   * failed and whose backoff has passed, then rows of the due index from the floor on. The floor moves up to where the
   * scan stopped: every row it passed is leased now (or was deleted).
   */
  List<Item> takeDue(long now, int max) {
    List<Item> taken = new ArrayList<>();
    for (Map.Entry<Long, Held> lease : leased.entrySet()) {
      if (taken.size() >= max) {
        return taken;
      }
      Held held = lease.getValue();
      if (held.heldUntil <= now) {
        held.heldUntil = Long.MAX_VALUE;
        active++;
        taken.add(new Item(lease.getKey(), held.dueAt));
      }
    }
    if (floorDue > now) {
      return taken;
    }
    try (RocksIterator it = store.iterator(store.due)) {
      it.seek(Keys.dueKey(prefix, floorDue, floorSeq));
      for (; it.isValid() && Keys.startsWith(it.key(), prefix); it.next()) {
        byte[] row = it.key();
        long dueAt = Keys.dueOf(row);
        long seq = Keys.seqOf(row);
        if (dueAt > now || taken.size() >= max) {
          floorDue = dueAt; // the first row not taken
          floorSeq = seq;
          return taken;
        }
        if (!leased.containsKey(seq)) {
          leased.put(seq, new Held(dueAt));
          active++;
          taken.add(new Item(seq, dueAt));
        }
      }
    }
    floorDue = Long.MAX_VALUE; // no row left that is not leased: the next row put lowers it
    floorSeq = Long.MAX_VALUE;
    return taken;
  }

  /** A leased entry was settled, and its batch written: its lease is over. */
  void settled(long seq) {
    Held held = leased.remove(seq);
    if (held != null && held.heldUntil == Long.MAX_VALUE) {
      active--;
    }
  }

  /** A leased entry's settle failed: it stays where it is, and may be leased again from {@code untilMs}. */
  void holdBack(long seq, long untilMs) {
    Held held = leased.get(seq);
    if (held != null) {
      if (held.heldUntil == Long.MAX_VALUE) {
        active--;
      }
      held.heldUntil = untilMs;
    }
  }

  /** Pending entries were added (positive) or removed (negative) by a written batch. */
  void counted(long delta) {
    size += delta;
  }

  long size() {
    return size;
  }

  /** Entries leased and not yet settled (not counting those held back after a failed settle). */
  int leasedCount() {
    return active;
  }

  /** How many leases this schedule holds in memory: the only per-entry state it keeps there. */
  int inMemory() {
    return leased.size();
  }

  /**
   * A time at or before which the next entry not leased falls due: when it is later than now, nothing is due before
   * it (apart from leases held back after a failed settle). {@code Long.MAX_VALUE} when no entry is waiting.
   */
  long nextDue() {
    return floorDue;
  }

  /** How far past due the earliest due entry not leased is, in ms; 0 when none is due. Looked up at most every 500 ms. */
  long oldestDueLag(long now) {
    if (now - lagComputedAt < LAG_EVERY_MS) {
      return lag;
    }
    lagComputedAt = now;
    long oldest = Long.MAX_VALUE;
    for (Held held : leased.values()) {
      if (held.heldUntil != Long.MAX_VALUE) {
        oldest = Math.min(oldest, Math.max(held.dueAt, held.heldUntil));
      }
    }
    if (floorDue <= now) {
      try (RocksIterator it = store.iterator(store.due)) {
        for (it.seek(Keys.dueKey(prefix, floorDue, floorSeq)); it.isValid() && Keys.startsWith(it.key(), prefix);
             it.next()) {
          if (!leased.containsKey(Keys.seqOf(it.key()))) {
            oldest = Math.min(oldest, Keys.dueOf(it.key()));
            break;
          }
        }
      }
    }
    lag = oldest > now ? 0 : now - oldest;
    return lag;
  }

  /** Forgets the leases (the namespace is closing or destroyed); its entries and indexes stay on disk. */
  void clear() {
    leased.clear();
    active = 0;
    size = 0;
    floorDue = Long.MIN_VALUE;
    floorSeq = Long.MIN_VALUE;
  }

  private static EntryRecord parse(byte[] value) {
    try {
      return EntryRecord.parseFrom(value);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt entry in the local log: " + e.getMessage(), e);
    }
  }
}
