package io.walmesh.spi.target;

import io.vertx.core.Future;

/**
 * One configured target of a namespace.
 *
 * <ol>
 *   <li>{@link #deliver} MUST succeed only when the target applied the entry.</li>
 *   <li>It MUST fail with a {@link DeliveryException} of kind
 *       {@link DeliveryException.Kind#PERMANENT} only when retrying cannot help (the entry then goes
 *       straight to the DLQ); any other failure is retried with backoff.</li>
 *   <li>It MUST tolerate redelivery of the same entry (at-least-once): use
 *       {@link Delivery#entryId()} or {@link Delivery#writeTimeMs()} to stay idempotent.</li>
 *   <li>It MUST NOT block the event loop.</li>
 *   <li>{@link #deliver} is called on the namespace consumer's event loop. Its future may complete
 *       on any thread (a client library with threads of its own): the node hands the outcome back
 *       to the consumer's event loop before it acts on it.</li>
 * </ol>
 */
public interface Target {

  /** Applies one entry to the target. */
  Future<Void> deliver(Delivery delivery);

  /** Releases connections; called when the namespace is updated or removed. */
  default Future<Void> close() {
    return Future.succeededFuture();
  }
}
