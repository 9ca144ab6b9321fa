package io.walmesh.backend.kafka;

import io.walmesh.spi.entry.EntryRecord;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.common.TopicPartition;

/**
 * The records one consumer has fetched and not yet settled, across its assigned partitions, and
 * the schedule that decides which are due. Thread-safe: the poll loop adds and commits, the event
 * loop leases and settles.
 * <ul>
 *   <li>A partition's commit point is its first unsettled offset: an offset is committed only once
 *       every record before it was delivered, moved to a delay topic or dead-lettered.</li>
 *   <li>Due order: oldest due first. With per-key order only the first unsettled record of each key
 *       can be leased, so a failing key holds back its own later records and no other key.</li>
 *   <li>A partition that is revoked drops its records; late settlements of its leases are ignored
 *       (the new owner redelivers from the commit point: at least once).</li>
 * </ul>
 */
final class Window {
  enum State { WAITING, LEASED, MOVING }

  /** One fetched record. Its fields are guarded by the window's lock. */
  static final class Slot {
    final Partition partition;
    final long offset;
    final long seq;
    EntryRecord entry;
    long dueAt;
    State state = State.WAITING;

    private Slot(Partition partition, long offset, long seq, EntryRecord entry) {
      this.partition = partition;
      this.offset = offset;
      this.seq = seq;
      this.entry = entry;
      this.dueAt = entry.getDueAtMs();
    }

    TopicPartition topicPartition() {
      return partition.tp;
    }
  }

  /** An assigned partition's unsettled records. */
  static final class Partition {
    final TopicPartition tp;
    final TreeMap<Long, Slot> unsettled = new TreeMap<>();
    long next;
    long committed;
    boolean revoked;

    private Partition(TopicPartition tp, long position) {
      this.tp = tp;
      this.next = position;
      this.committed = position;
    }

    long commitPoint() {
      return unsettled.isEmpty() ? next : unsettled.firstKey();
    }
  }

  private static final Comparator<Slot> DUE_ORDER = Comparator.<Slot>comparingLong(s -> s.dueAt).thenComparingLong(s -> s.seq);

  private final boolean orderedByKey;
  private final Map<TopicPartition, Partition> partitions = new HashMap<>();
  private final TreeSet<Slot> eligible = new TreeSet<>(DUE_ORDER);
  private final Map<String, ArrayDeque<Slot>> keys = new HashMap<>();
  private long seq;
  private int size;
  private int leased;

  Window(boolean orderedByKey) {
    this.orderedByKey = orderedByKey;
  }

  synchronized void assign(TopicPartition tp, long position) {
    partitions.put(tp, new Partition(tp, position));
  }

  synchronized boolean isAssigned(TopicPartition tp) {
    return partitions.containsKey(tp);
  }

  /** Records a fetched record as waiting for its due time (or its key's turn). */
  synchronized Slot add(TopicPartition tp, long offset, EntryRecord entry) {
    return add(tp, offset, entry, State.WAITING);
  }

  /** Records a fetched record that the backend is moving elsewhere (a delay topic, the DLQ). */
  synchronized Slot addMoving(TopicPartition tp, long offset, EntryRecord entry) {
    return add(tp, offset, entry, State.MOVING);
  }

  private Slot add(TopicPartition tp, long offset, EntryRecord entry, State state) {
    Partition partition = partitions.get(tp);
    if (partition == null) {
      return null;
    }
    Slot slot = new Slot(partition, offset, seq++, entry);
    slot.state = state;
    partition.unsettled.put(offset, slot);
    partition.next = Math.max(partition.next, offset + 1);
    size++;
    if (ordered(slot)) {
      ArrayDeque<Slot> queue = keys.computeIfAbsent(slot.entry.getKey(), k -> new ArrayDeque<>());
      queue.addLast(slot);
      if (queue.size() == 1 && state == State.WAITING) {
        eligible.add(slot);
      }
    } else if (state == State.WAITING) {
      eligible.add(slot);
    }
    return slot;
  }

  private boolean ordered(Slot slot) {
    return orderedByKey && !slot.entry.getKey().isEmpty();
  }

  /** Leases up to {@code max} records due at {@code now}, oldest due first. */
  synchronized List<Slot> lease(int max, long now) {
    List<Slot> out = new ArrayList<>();
    while (out.size() < max && !eligible.isEmpty() && eligible.first().dueAt <= now) {
      Slot slot = eligible.pollFirst();
      slot.state = State.LEASED;
      leased++;
      out.add(slot);
    }
    return out;
  }

  /** Removes a delivered (or moved) record; answers false when its partition was revoked meanwhile. */
  synchronized boolean settle(Slot slot) {
    Partition partition = slot.partition;
    if (partition.revoked || partition.unsettled.get(slot.offset) != slot) {
      return false;
    }
    partition.unsettled.remove(slot.offset);
    Slot next = forget(slot);
    if (next != null && next.state == State.WAITING) {
      eligible.add(next);
    }
    notifyAll();
    return true;
  }

  /** Puts a leased or moving record back to wait for the updated record's due time. */
  synchronized boolean reschedule(Slot slot, EntryRecord updated) {
    Partition partition = slot.partition;
    if (partition.revoked || partition.unsettled.get(slot.offset) != slot) {
      return false;
    }
    eligible.remove(slot);
    if (slot.state == State.LEASED) {
      leased--;
    }
    slot.entry = updated;
    slot.dueAt = updated.getDueAtMs();
    slot.state = State.WAITING;
    if (!ordered(slot) || keys.get(slot.entry.getKey()).peekFirst() == slot) {
      eligible.add(slot);
    }
    notifyAll();
    return true;
  }

  /** Marks a leased record as being moved elsewhere (it stays unsettled until the move is acknowledged). */
  synchronized boolean moving(Slot slot) {
    if (slot.partition.revoked || slot.state != State.LEASED) {
      return false;
    }
    slot.state = State.MOVING;
    leased--;
    return true;
  }

  /** The partitions whose commit point moved since the last call, with the new points. */
  synchronized Map<TopicPartition, Long> commitPoints() {
    Map<TopicPartition, Long> points = new HashMap<>();
    for (Partition partition : partitions.values()) {
      long point = partition.commitPoint();
      if (point > partition.committed) {
        partition.committed = point;
        points.put(partition.tp, point);
      }
    }
    return points;
  }

  /**
   * Waits up to {@code timeoutMs} for the leased and moving records of {@code tps} to settle, then
   * drops the partitions; answers their final commit points.
   */
  synchronized Map<TopicPartition, Long> revoke(Iterable<TopicPartition> tps, long timeoutMs) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (inFlight(tps) > 0 && System.currentTimeMillis() < deadline) {
      wait(Math.max(1, deadline - System.currentTimeMillis()));
    }
    Map<TopicPartition, Long> points = new HashMap<>();
    for (TopicPartition tp : tps) {
      Partition partition = partitions.remove(tp);
      if (partition == null) {
        continue;
      }
      partition.revoked = true;
      points.put(tp, partition.commitPoint());
      partition.unsettled.values().forEach(this::forget);
    }
    return points;
  }

  /**
   * Drops a slot from the counts, the schedule and its key's queue; answers the key's next record
   * when the slot was the head of its key, else null.
   */
  private Slot forget(Slot slot) {
    size--;
    if (slot.state == State.LEASED) {
      leased--;
    }
    eligible.remove(slot);
    if (!ordered(slot)) {
      return null;
    }
    ArrayDeque<Slot> queue = keys.get(slot.entry.getKey());
    boolean wasHead = queue.peekFirst() == slot;
    queue.remove(slot);
    if (queue.isEmpty()) {
      keys.remove(slot.entry.getKey());
      return null;
    }
    return wasHead ? queue.peekFirst() : null;
  }

  private int inFlight(Iterable<TopicPartition> tps) {
    int n = 0;
    for (TopicPartition tp : tps) {
      Partition partition = partitions.get(tp);
      if (partition != null) {
        for (Slot slot : partition.unsettled.values()) {
          if (slot.state != State.WAITING) {
            n++;
          }
        }
      }
    }
    return n;
  }

  synchronized int size() {
    return size;
  }

  synchronized int leased() {
    return leased;
  }

  /**
   * What this window holds of each assigned partition, for counting: where fetching goes on, and how many records
   * fetched are not yet settled. Taken before the partitions' end offsets are read, so that a record moved to a tier
   * topic meanwhile is counted twice rather than not at all, and every record held is below the end read after.
   */
  synchronized Map<TopicPartition, Held> held() {
    Map<TopicPartition, Held> held = new HashMap<>();
    for (Partition partition : partitions.values()) {
      held.put(partition.tp, new Held(partition.next, partition.unsettled.size()));
    }
    return held;
  }

  /** One partition's part of {@link #held}: the next offset to fetch, and the records fetched and not settled. */
  record Held(long next, int unsettled) {
    /**
     * How many records are not settled, given the log's start and end offsets read after this was taken: those
     * fetched and unsettled, and those in [next, end) not fetched yet. A record settled ahead of an earlier one is not
     * counted, though the commit point (hence the group's lag) stays before it; nor is one that retention deleted
     * before it was fetched (the consumer skips past it).
     */
    long pending(long start, long end) {
      return Math.max(0, end - Math.max(next, start)) + unsettled;
    }
  }

  /** The earliest due time among leasable records, or {@link Long#MAX_VALUE}. */
  synchronized long nextDue() {
    return eligible.isEmpty() ? Long.MAX_VALUE : eligible.first().dueAt;
  }
}
