package io.walmesh.client.impl;

import io.vertx.core.Future;
import io.walmesh.protocol.v1.WriteToLogRequest;
import java.util.List;

/**
 * One way to reach a gateway: a single attempt, no retries (those are {@link RetryingCall}'s).
 *
 * <ol>
 *   <li>Methods are called on the write's Vert.x context and MUST NOT block.</li>
 *   <li>Returned futures MUST NOT fail: every end, a refusal or a broken connection included, is
 *   an {@link Attempt}.</li>
 *   <li>They MUST complete within {@code timeoutMs} (plus scheduling), with
 *   {@link Attempt#deadline} when the gateway has not answered.</li>
 *   <li>An attempt's {@code maybeStored} MUST be true whenever the request may have reached a node
 *   and no answer settled it.</li>
 * </ol>
 */
public interface Transport {

  /** Sends one {@code WriteToLog}. */
  Future<Attempt> write(WriteToLogRequest request, long timeoutMs);

  /** Whether {@link #writeBatch} is one call for many requests; when false, batches are sent write by write. */
  boolean batches();

  /** Sends many requests at once; the attempts come back in request order, one per request. */
  Future<List<Attempt>> writeBatch(List<WriteToLogRequest> requests, long timeoutMs);

  /** Releases connections; later calls are not expected. */
  Future<Void> close();
}
