package io.walmesh.backend.local;

/**
 * How many pending entries the node's local namespaces hold in memory together, against a limit sized from the heap.
 * Every pending entry of a {@code local} namespace has a place in its namespace's in-memory {@link Schedule} (about
 * {@value #BYTES_PER_ENTRY} bytes of heap each, measured: 146 bytes without a key, more with per-key order), so a
 * backlog (a target down for hours, entries delayed for days) grows the heap without bound. Past the limit an
 * append is refused, certainly not stored, with an error that says so, instead of the node running out of heap, and
 * then out of heap again each time it restarts and loads its schedule. Only the log thread touches it.
 */
final class PendingBudget {
  /** Heap per pending entry, rounded up from the measured 146 bytes (unkeyed) and 159 bytes (1,000 keys). */
  static final long BYTES_PER_ENTRY = 200;
  /** The share of the heap the schedules may take: the rest is for writes in flight, RocksDB's Java side, Vert.x. */
  static final double HEAP_SHARE = 0.4;
  /** Overrides the limit (entries), for a node whose operator sized it another way. */
  static final String PROPERTY = "walmesh.local.max-pending-entries";

  private final long max;
  private long held;
  private long reserved;

  PendingBudget(long max) {
    this.max = max;
  }

  /** The limit for this JVM: {@value #HEAP_SHARE} of the max heap over {@value #BYTES_PER_ENTRY} bytes, or the property. */
  static PendingBudget forThisJvm() {
    String configured = System.getProperty(PROPERTY);
    if (configured != null) {
      try {
        long value = Long.parseLong(configured.trim());
        if (value < 1) {
          throw new NumberFormatException();
        }
        return new PendingBudget(value);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("-D" + PROPERTY + " must be a positive number of entries, not \"" + configured + "\"");
      }
    }
    return new PendingBudget(Math.max(10_000, (long) (Runtime.getRuntime().maxMemory() * HEAP_SHARE / BYTES_PER_ENTRY)));
  }

  long max() {
    return max;
  }

  /** Takes a place for an entry being appended; false when the schedules are full. */
  boolean tryReserve() {
    if (held + reserved >= max) {
      return false;
    }
    reserved++;
    return true;
  }

  /** The reserved entry's batch is written (it joins a schedule) or failed (its place is free again). */
  void release() {
    release(1);
  }

  /** {@code count} reserved entries are written or failed together (a replay's). */
  void release(long count) {
    reserved -= count;
  }

  void added(long entries) {
    held += entries;
  }

  void removed(long entries) {
    held -= entries;
  }

  /** The refusal a replay gets when its entries would pass the limit: the whole replay is refused, nothing requeued. */
  String replayRefusal(String namespace, int fitted) {
    return "replay of namespace " + namespace + " refused: it covers more delivered entries than fit in this node's"
        + " pending limit (" + max + " entries in memory across its local namespaces, " + held + " held now; "
        + fitted + " more would fit); nothing was requeued. Replay a shorter time range (from-ms, to-ms), or let"
        + " pending entries be delivered first; see docs/limits.md#local-backend";
  }

  /** The refusal an append gets past the limit; it names the limit and what to do. */
  String refusal(String namespace) {
    return "namespace " + namespace + ": this node's local namespaces hold " + held + " pending entries in memory, the"
        + " limit for its heap of " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MB (about " + BYTES_PER_ENTRY
        + " bytes each, " + (int) (HEAP_SHARE * 100) + "% of the heap); the entry was not stored. Let pending entries"
        + " be delivered or dead-lettered, or give the node more heap (WALMESH_JAVA_OPTS=-Xmx...); see"
        + " docs/limits.md#local-backend";
  }
}
