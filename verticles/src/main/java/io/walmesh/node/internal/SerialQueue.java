package io.walmesh.node.internal;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.function.Supplier;

/**
 * Runs asynchronous operations one after another: each starts when the one before it completed,
 * whether it succeeded or failed. An operation that throws fails its own future only.
 *
 * <p>With an owner context, every operation runs on that context whatever thread submitted it
 * (so that, for example, a namespace created through the admin API opens its backend on the
 * namespace manager's context, not on the admin verticle's event loop), and the submitter's
 * callbacks run on the submitter's context.
 */
public final class SerialQueue {
  private final Context owner;
  private Future<?> last = Future.succeededFuture();

  /** A queue whose operations run on whichever thread completes the one before. */
  public SerialQueue() {
    this(null);
  }

  /** A queue whose operations all run on {@code owner}. */
  public SerialQueue(Context owner) {
    this.owner = owner;
  }

  /** Queues an operation; its future completes with the operation's result. */
  public <T> Future<T> submit(Supplier<Future<T>> operation) {
    Context caller = Vertx.currentContext();
    Future<T> result;
    synchronized (this) {
      result = last.transform(ignored -> onOwner(operation));
      last = result;
    }
    if (owner == null || caller == null || caller == owner) {
      return result;
    }
    // the answer goes back to the submitter's context
    return Future.fromCompletionStage(result.toCompletionStage(), caller);
  }

  private <T> Future<T> onOwner(Supplier<Future<T>> operation) {
    if (owner == null || Vertx.currentContext() == owner) {
      return run(operation);
    }
    Promise<T> done = Promise.promise();
    owner.runOnContext(v -> run(operation).onComplete(done));
    return done.future();
  }

  private static <T> Future<T> run(Supplier<Future<T>> operation) {
    try {
      return operation.get();
    } catch (Throwable t) {
      return Future.failedFuture(t);
    }
  }
}
