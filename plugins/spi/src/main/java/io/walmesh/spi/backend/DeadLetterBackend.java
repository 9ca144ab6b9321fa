package io.walmesh.spi.backend;

import io.vertx.core.Future;
import io.walmesh.spi.entry.EntryRecord;
import java.util.List;

/**
 * A {@link Backend} whose dead-letter queue can be browsed: listed, put back in the queue and
 * purged. The admin API offers {@code /v1/namespaces/<name>/dlq} (and {@code walmesh dlq}) only
 * for namespaces whose backend implements this; others are answered {@code 409} saying the backend
 * keeps its dead letters where walmesh cannot browse them. Every backend still parks entries with
 * {@link Backend#deadLetter}.
 *
 * <ol>
 *   <li>{@link #listDeadLetters} MUST show each dead letter with the record given to
 *       {@link Backend#deadLetter} (its attempts and last error).</li>
 *   <li>{@link #replayDeadLetters} MUST queue each chosen entry once, due now with its attempts
 *       reset and its entry id kept, and remove it from the dead letters.</li>
 *   <li>{@link #purgeDeadLetters} MUST delete the chosen dead letters so they are never delivered.</li>
 * </ol>
 */
public interface DeadLetterBackend extends Backend {

  /**
   * The most payload bytes one listing holds: a listing stops at the entry that takes it past this (it holds at least
   * one entry), so listing a queue of large payloads cannot fill the node's heap.
   */
  long MAX_LIST_BYTES = 4L << 20;

  /**
   * Lists up to {@code limit} dead-lettered entries, oldest first; fewer when their payloads add up to more than
   * {@link #MAX_LIST_BYTES}.
   */
  Future<List<EntryRecord>> listDeadLetters(int limit);

  /** Moves dead-lettered entries back to the queue, due now with attempts reset; empty ids: all. */
  Future<Integer> replayDeadLetters(List<String> entryIds);

  /** Deletes dead-lettered entries; empty ids: all. */
  Future<Integer> purgeDeadLetters(List<String> entryIds);
}
