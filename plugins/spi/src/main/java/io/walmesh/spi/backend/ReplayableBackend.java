package io.walmesh.spi.backend;

import io.vertx.core.Future;

/**
 * A {@link Backend} that retains delivered entries (for a configured time) and can put them back
 * in the queue: replay after data corruption. The admin API offers {@code POST
 * /v1/namespaces/<name>/replay} only for namespaces whose backend implements this; others are
 * answered {@code 409} saying the backend keeps no delivered entries.
 *
 * <ol>
 *   <li>{@link #replay} MUST queue each retained entry written in the range once, due now,
 *       keeping its entry id and write time, and MUST answer with the replay's id at once (the
 *       work may go on after the answer).</li>
 *   <li>{@link #replay} MUST fail with a message a user can act on when this namespace keeps no
 *       delivered entries (for example its retention is off).</li>
 * </ol>
 */
public interface ReplayableBackend extends Backend {

  /** Puts the retained entries written in the request's time range back in the queue. */
  Future<ReplayStatus> replay(ReplayRequest request);

  /** The progress of a replay started since this backend opened; fails with {@link java.util.NoSuchElementException} when the id is unknown. */
  Future<ReplayStatus> replayStatus(String id);
}
