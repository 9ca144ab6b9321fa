package io.walmesh.node.internal;

import io.vertx.core.Future;
import java.util.function.Supplier;

/**
 * Runs asynchronous operations one after another: each starts when the one before it completed,
 * whether it succeeded or failed. An operation that throws fails its own future only.
 */
public final class SerialQueue {
  private Future<?> last = Future.succeededFuture();

  /** Queues an operation; its future completes with the operation's result. */
  public synchronized <T> Future<T> submit(Supplier<Future<T>> operation) {
    Future<T> result = last.transform(ignored -> {
      try {
        return operation.get();
      } catch (Throwable t) {
        return Future.failedFuture(t);
      }
    });
    last = result;
    return result;
  }
}
