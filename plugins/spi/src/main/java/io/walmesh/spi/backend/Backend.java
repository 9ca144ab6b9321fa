package io.walmesh.spi.backend;

import io.vertx.core.Future;
import io.walmesh.spi.entry.EntryRecord;
import java.util.List;

/**
 * The durable queue of one namespace.
 *
 * Optional features are interfaces a backend also implements: {@link ReplayableBackend} when it
 * keeps delivered entries and can put them back in the queue, {@link DeadLetterBackend} when its
 * dead letters can be listed, replayed and purged, {@link CountingBackend} when it can count its
 * entries cheaply. The node asks for each with {@code instanceof} and tells the user what a
 * namespace without it cannot do.
 *
 * <ol>
 *   <li>{@link #append} MUST succeed only once the entry survives a crash of this process (synced
 *       to disk, or acknowledged by all in-sync replicas); when it fails, the failure MUST say
 *       whether the entry is certainly not stored ({@link AppendException.Kind#NOT_STORED}) or may be.</li>
 *   <li>{@link #poll} MUST NOT return an entry before its {@code due_at_ms}, nor an entry that is
 *       already leased.</li>
 *   <li>With {@link BackendSpec#orderedByKey()}, {@link #poll} MUST NOT return an entry while an
 *       earlier entry of the same key is pending, leased or scheduled for retry.</li>
 *   <li>An entry leased and never settled ({@link #ack}, {@link #retry}, {@link #deadLetter}) MUST
 *       be polled again after a crash or restart: delivery is at least once.</li>
 *   <li>Entries with the same idempotency key inside the dedupe window MUST be stored once, and
 *       every append of them MUST answer the first entry's id.</li>
 *   <li>Methods MUST NOT block the calling event loop.</li>
 *   <li>A returned future MUST complete on the Vert.x context that called the method (take
 *       {@code vertx.getOrCreateContext()} at call time, and complete with
 *       {@code Future.fromCompletionStage(stage, context)}): the producer and the consumer keep
 *       their state on their own event loops without locks. {@link #onAvailable} listeners are the
 *       exception: they may run on any thread.</li>
 * </ol>
 */
public interface Backend {

  /** Stores an entry durably; the result carries the entry's id. */
  Future<AppendResult> append(EntryRecord entry);

  /** Where {@link #appendAll} hands each entry's outcome. */
  @FunctionalInterface
  interface Appended {
    /**
     * Entry {@code index}'s outcome (its place in the list given): its result, or the failure {@link #append} would
     * have failed with.
     */
    void appended(int index, io.vertx.core.AsyncResult<AppendResult> outcome);
  }

  /**
   * Stores several entries, each as {@link #append} would: its own id, its own idempotency check (an entry with the
   * key of an earlier entry in the same list answers that entry's id), its own outcome, under the same clauses. The
   * node hands over with one call the writes its producer took in one turn of its event loop (a
   * {@code WriteToLogBatch} call, a burst of unary calls), in the order they came, so they are stored in that order.
   *
   * <p>{@code each} gets every entry's outcome exactly once, on the calling context, as soon as it is known (possibly
   * before this method returns). A backend that can store the entries as one unit (one log batch, one fsync, one
   * completion) overrides this; the default appends each.
   */
  default void appendAll(List<EntryRecord> entries, Appended each) {
    for (int i = 0; i < entries.size(); i++) {
      int index = i;
      Future<AppendResult> appended;
      try {
        appended = append(entries.get(i));
      } catch (RuntimeException e) {
        appended = Future.failedFuture(new AppendException(AppendException.Kind.MAYBE_STORED, "backend threw " + e, e));
      }
      appended.onComplete(outcome -> each.appended(index, outcome));
    }
  }

  /**
   * Whether {@link #appendAll} may be called from several event loops at once, each caller getting its outcomes on its
   * own context. The node then appends from the event loop that decoded the write, without a hop onto the producer's
   * context and back. A backend that keeps append state on one context (a producer's sequence numbers, a batcher)
   * says false, the default: every append then comes from the namespace's producer context.
   */
  default boolean appendsFromAnyContext() {
    return false;
  }

  /** Leases up to {@code max} due entries, oldest due first. */
  Future<List<Lease>> poll(int max);

  /** Removes a delivered entry. */
  Future<Void> ack(Lease lease);

  /**
   * Removes several delivered entries: the consumer settles what it delivered in one turn of its
   * event loop with one call. A backend that can remove them in one write (one log batch, one
   * batched delete) overrides this; the default acks each. It fails when any of them may still be
   * stored; those are delivered again, as after a failed {@link #ack}.
   */
  default Future<Void> ackAll(List<Lease> leases) {
    if (leases.size() == 1) {
      return ack(leases.get(0));
    }
    List<Future<Void>> acks = new java.util.ArrayList<>(leases.size());
    for (Lease lease : leases) {
      acks.add(ack(lease));
    }
    return Future.join(acks).mapEmpty();
  }

  /** Puts a leased entry back with the updated record (new due time, attempts, last error). */
  Future<Void> retry(Lease lease, EntryRecord updated);

  /**
   * Moves a leased entry that will not be delivered to the namespace's dead-letter queue with the
   * updated record: it MUST stay stored and never be polled again (browsing it is
   * {@link DeadLetterBackend}'s).
   */
  Future<Void> deadLetter(Lease lease, EntryRecord updated);

  /** Registers a callback run (on any thread) when new entries may be due; used to wake consumers. */
  void onAvailable(Runnable listener);

  /**
   * Why the backend cannot store writes durably right now (a broken log, a disk error), or empty
   * when it can. While present, the node refuses writes at once with {@code UNAVAILABLE} and its
   * health is {@code DOWN}; the backend itself keeps trying to recover.
   */
  default java.util.Optional<String> unavailable() {
    return java.util.Optional.empty();
  }

  /** Stops the backend; entries stay stored. */
  Future<Void> close();

  /** Stops the backend and deletes all its stored entries and dead letters. */
  Future<Void> destroy();
}
