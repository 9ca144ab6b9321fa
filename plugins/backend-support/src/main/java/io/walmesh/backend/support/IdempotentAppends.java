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
 *
 * <p>The lookup runs on a worker, so an entry with a key would be handed to the queue later than one without, and two
 * writes of one ordering key sent without waiting (a stream, pipelined calls) could be stored out of order. So the
 * appends of one calling event loop are handed to the queue in the order they came: while a lookup of that loop is
 * in flight, its later appends, keyed or not, wait their turn (the lookups themselves run at once). A loop with no
 * lookup in flight hands unkeyed entries over directly.
 */
public final class IdempotentAppends {
  private final Vertx vertx;
  private final IdempotencyStore store;
  private final BackendSpec spec;
  /** Appends in progress by idempotency key: a concurrent retry waits for the first one's answer. */
  private final Map<String, Future<AppendResult>> appending = new ConcurrentHashMap<>();
  /** The calling event loops with a lookup in flight, each with its appends waiting to be handed over. */
  private final Map<ContextInternal, Lane> lanes = new ConcurrentHashMap<>();
  private long sweepTimer = -1;

  /**
   * The appends of one calling event loop not yet handed to the queue: each waits for the one before it. Touched only
   * on that loop's thread.
   */
  private static final class Lane {
    int waiting;
    /** Completes when the last append of the lane was handed over (or answered without storing). */
    Future<Void> tail = Future.succeededFuture();
  }

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
   * one key at once, one stores the entry and the other answers its id. The appends of one event loop reach
   * {@code storeEntry} in the order they were made.
   */
  public Future<AppendResult> append(EntryRecord entry, Function<EntryRecord, Future<AppendResult>> storeEntry) {
    String idemKey = entry.getIdempotencyKey();
    boolean keyed = !idemKey.isEmpty() && !spec.dedupeWindow().isZero();
    if (!keyed && lanes.isEmpty()) {
      return storeEntry.apply(entry);
    }
    ContextInternal context = (ContextInternal) vertx.getOrCreateContext();
    ContextInternal loop = context.unwrap(); // each request has its own duplicate of the loop's context
    if (!keyed) {
      Lane lane = lanes.get(loop);
      if (lane == null) {
        return storeEntry.apply(entry);
      }
      return takeTurn(loop, lane, context).compose(handOver -> {
        try {
          return storeEntry.apply(entry);
        } finally {
          handOver.complete();
        }
      });
    }
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
    Future<String> lookup = vertx.executeBlocking(() -> store.find(spec.namespace(), idemKey, entry.getWriteTimeMs(),
        window), false);
    Future<Promise<Void>> turn = takeTurn(loop, lanes.computeIfAbsent(loop, l -> new Lane()), context);
    lookup.transform(found -> turn.compose(handOver -> {
      try {
        if (found.failed()) {
          return Future.<AppendResult>failedFuture(found.cause());
        }
        return found.result() != null ? Future.succeededFuture(new AppendResult(found.result(), true))
            : storeEntry.apply(entry).compose(r -> vertx.executeBlocking(() -> {
              store.put(spec.namespace(), idemKey, entry.getWriteTimeMs(), r.entryId());
              return r;
            }, false));
      } finally {
        handOver.complete();
      }
    })).onComplete(outcome -> {
      appending.remove(idemKey, appended.future()); // a retry from now on finds the key in the store
      appended.handle(outcome);
    });
    return appended.future();
  }

  /**
   * Queues an append at the end of {@code lane}: the future answers, once every earlier append of the lane was handed
   * over, the promise this append completes when it has handed its entry over (or decided not to).
   */
  private Future<Promise<Void>> takeTurn(ContextInternal loop, Lane lane, ContextInternal context) {
    Promise<Void> handedOver = context.promise();
    Future<Void> earlier = lane.tail;
    lane.tail = handedOver.future();
    lane.waiting++;
    handedOver.future().onComplete(done -> {
      if (--lane.waiting == 0) {
        lanes.remove(loop, lane);
      }
    });
    Promise<Promise<Void>> turn = context.promise(); // the turn runs on the caller's context, not the earlier one's
    earlier.onComplete(done -> turn.complete(handedOver));
    return turn.future();
  }

  /** Stops the sweeper. */
  public void close() {
    if (sweepTimer >= 0) {
      vertx.cancelTimer(sweepTimer);
      sweepTimer = -1;
    }
  }
}
