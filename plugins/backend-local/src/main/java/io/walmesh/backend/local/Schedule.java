package io.walmesh.backend.local;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The in-memory index of one namespace's pending entries: which are due, which are leased, and —
 * when the namespace is ordered by key — which entry is the head of its key. Only the log thread
 * touches it.
 */
final class Schedule {

  /** One pending entry. */
  static final class Item {
    final long seq;
    final String key;
    long dueAt;
    boolean leased;

    Item(long seq, long dueAt, String key) {
      this.seq = seq;
      this.dueAt = dueAt;
      this.key = key;
    }
  }

  private static final Comparator<Item> BY_DUE_THEN_SEQ =
      Comparator.<Item>comparingLong(i -> i.dueAt).thenComparingLong(i -> i.seq);

  private final boolean orderedByKey;
  /** The node-wide count of pending entries in memory, shared by every local namespace's schedule. */
  private final PendingBudget budget;
  private final Map<Long, Item> items = new HashMap<>();
  /** Entries that may be leased once due: not leased, and the head of their key when ordered. */
  private final TreeSet<Item> ready = new TreeSet<>(BY_DUE_THEN_SEQ);
  private final Map<String, ArrayDeque<Item>> byKey = new HashMap<>();
  private int leased;

  Schedule(boolean orderedByKey, PendingBudget budget) {
    this.orderedByKey = orderedByKey;
    this.budget = budget;
  }

  /** Adds an entry; entries MUST be added in increasing sequence order. */
  void add(long seq, long dueAt, String key) {
    Item item = new Item(seq, dueAt, key);
    if (items.put(seq, item) == null) {
      budget.added(1);
    }
    if (orderedByKey && !key.isEmpty()) {
      ArrayDeque<Item> queue = byKey.computeIfAbsent(key, k -> new ArrayDeque<>());
      queue.addLast(item);
      if (queue.size() == 1) {
        ready.add(item);
      }
    } else {
      ready.add(item);
    }
  }

  /** Leases up to {@code max} entries due at {@code now}, earliest due first. */
  List<Item> takeDue(long now, int max) {
    List<Item> taken = new ArrayList<>();
    while (taken.size() < max && !ready.isEmpty() && ready.first().dueAt <= now) {
      Item item = ready.pollFirst();
      item.leased = true;
      leased++;
      taken.add(item);
    }
    return taken;
  }

  /** Returns a leased entry to the schedule with a new due time. */
  void release(long seq, long dueAt) {
    Item item = items.get(seq);
    if (item == null || !item.leased) {
      return;
    }
    item.leased = false;
    leased--;
    item.dueAt = dueAt;
    ready.add(item);
  }

  /** Forgets a settled entry; the next entry of its key becomes eligible. Returns false if unknown. */
  boolean remove(long seq) {
    Item item = items.remove(seq);
    if (item == null) {
      return false;
    }
    budget.removed(1);
    if (item.leased) {
      leased--;
    } else {
      ready.remove(item);
    }
    if (orderedByKey && !item.key.isEmpty()) {
      ArrayDeque<Item> queue = byKey.get(item.key);
      queue.remove(item);
      if (queue.isEmpty()) {
        byKey.remove(item.key);
      } else if (!queue.peekFirst().leased) {
        ready.add(queue.peekFirst());
      }
    }
    return true;
  }

  /** Whether an entry is pending or leased. */
  boolean contains(long seq) {
    return items.containsKey(seq);
  }

  int size() {
    return items.size();
  }

  int leasedCount() {
    return leased;
  }

  /** How far past due the earliest due, not leased entry is, in ms; 0 when none is due. */
  long oldestDueLag(long now) {
    return ready.isEmpty() ? 0 : Math.max(0, now - ready.first().dueAt);
  }

  void clear() {
    budget.removed(items.size());
    items.clear();
    ready.clear();
    byKey.clear();
    leased = 0;
  }
}
