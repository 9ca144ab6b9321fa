package io.walmesh.backend.support;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.walmesh.spi.entry.EntryRecord;
import io.walmesh.spi.backend.AppendResult;
import io.walmesh.spi.backend.BackendSpec;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The append path of one namespace whose queue has no dedupe: an entry with an idempotency key is
 * looked up in the node's {@link IdempotencyStore} first; a key seen inside the dedupe window
 * answers the first entry's id; otherwise the entry is stored and its key recorded (synced) before
 * the answer. Concurrent appends of one key wait for the first. A retry reaching another node is
 * stored again: the store is per node.
 */
public final class IdempotentAppends {
  private final Vertx vertx;
  private final IdempotencyStore store;
  private final BackendSpec spec;
  /** Appends in progress by idempotency key: a concurrent retry waits for the first one's answer. */
  private final Map<String, Future<AppendResult>> appending = new ConcurrentHashMap<>();
  private long sweepTimer = -1;

  public IdempotentAppends(Vertx vertx, IdempotencyStore store, BackendSpec spec) {
    this.vertx = vertx;
    this.store = store;
    this.spec = spec;
    if (!spec.dedupeWindow().isZero()) {
      long every = Math.max(1_000, Math.min(600_000, spec.dedupeWindow().toMillis() / 2));
      sweepTimer = vertx.setPeriodic(every, id -> vertx.executeBlocking(() -> store.sweep(spec.namespace(),
          System.currentTimeMillis() - spec.dedupeWindow().toMillis())));
    }
  }

  /**
   * Appends {@code entry} with {@code storeEntry} unless its idempotency key was seen inside the window. May be called
   * from several event loops at once: the returned future completes on the caller's context, and of two appends of
   * one key at once, one stores the entry and the other answers its id.
   */
  public Future<AppendResult> append(EntryRecord entry, Function<EntryRecord, Future<AppendResult>> storeEntry) {
    String idemKey = entry.getIdempotencyKey();
    if (idemKey.isEmpty() || spec.dedupeWindow().isZero()) {
      return storeEntry.apply(entry);
    }
    ContextInternal context = (ContextInternal) vertx.getOrCreateContext();
    Promise<AppendResult> appended = context.promise();
    Future<AppendResult> earlier = appending.putIfAbsent(idemKey, appended.future());
    if (earlier != null) {
      // the first append of this key is still in progress, maybe on another event loop: answer its id when it has one
      earlier.onComplete(first -> {
        if (first.succeeded()) {
          appended.complete(new AppendResult(first.result().entryId(), true));
        } else {
          appended.fail(first.cause());
        }
      });
      return appended.future();
    }
    long window = spec.dedupeWindow().toMillis();
    vertx.executeBlocking(() -> store.find(spec.namespace(), idemKey, entry.getWriteTimeMs(), window))
        .compose(found -> found != null ? Future.succeededFuture(new AppendResult(found, true))
            : storeEntry.apply(entry).compose(r -> vertx.executeBlocking(() -> {
              store.put(spec.namespace(), idemKey, entry.getWriteTimeMs(), r.entryId());
              return r;
            })))
        .onComplete(outcome -> {
          appending.remove(idemKey, appended.future()); // a retry from now on finds the key in the store
          appended.handle(outcome);
        });
    return appended.future();
  }

  /** Stops the sweeper. */
  public void close() {
    if (sweepTimer >= 0) {
      vertx.cancelTimer(sweepTimer);
      sweepTimer = -1;
    }
  }
}
