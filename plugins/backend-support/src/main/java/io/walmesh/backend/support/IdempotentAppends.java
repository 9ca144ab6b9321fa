package io.walmesh.backend.support;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.walmesh.spi.entry.EntryRecord;
import io.walmesh.spi.backend.AppendResult;
import io.walmesh.spi.backend.BackendSpec;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
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
 * in flight, its later appends, keyed or not, wait their turn in the loop's lane. A loop with no lookup in flight hands
 * unkeyed entries over directly.
 */
public final class IdempotentAppends {
  private final Vertx vertx;
  private final IdempotencyStore store;
  private final BackendSpec spec;
  /** Appends in progress by idempotency key: a concurrent retry waits for the first one's answer. */
  private final Map<String, Future<AppendResult>> appending = new ConcurrentHashMap<>();
  /** The calling event loops with a lookup in flight, each with its appends waiting to be handed over. */
  private final Map<ContextInternal, Lane> lanes = new ConcurrentHashMap<>();
  /** How many lanes exist: an exact count (a map's size is not), so that a loop with a lane never takes the fast path. */
  private final AtomicInteger activeLanes = new AtomicInteger();
  private long sweepTimer = -1;

  /** The appends of one calling event loop not yet handed to the queue, in order. Touched only on that loop's thread. */
  private static final class Lane {
    final ArrayDeque<Step> steps = new ArrayDeque<>();
    boolean draining;
  }

  /** One append waiting in a {@link Lane}: it may go once it is ready and every step before it went. */
  private static final class Step {
    boolean ready = true;
    Runnable handOver;
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
    if (!keyed && activeLanes.get() == 0) {
      return storeEntry.apply(entry);
    }
    ContextInternal context = (ContextInternal) vertx.getOrCreateContext();
    ContextInternal loop = context.unwrap(); // each request has its own duplicate of the loop's context
    if (!keyed) {
      Lane lane = lanes.get(loop);
      if (lane == null) {
        return storeEntry.apply(entry);
      }
      Promise<AppendResult> stored = context.promise();
      Step step = new Step();
      step.handOver = () -> handOver(() -> storeEntry.apply(entry), stored);
      lane.steps.add(step);
      drain(loop, lane);
      return stored.future();
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
    Lane lane = lanes.computeIfAbsent(loop, l -> {
      activeLanes.incrementAndGet();
      return new Lane();
    });
    Step step = new Step();
    step.ready = false; // until the lookup answers
    lane.steps.add(step);
    Promise<AppendResult> outcome = context.promise();
    outcome.future().onComplete(done -> {
      appending.remove(idemKey, appended.future()); // a retry from now on finds the key in the store
      appended.handle(done);
    });
    long window = spec.dedupeWindow().toMillis();
    vertx.executeBlocking(() -> store.find(spec.namespace(), idemKey, entry.getWriteTimeMs(), window))
        .onComplete(found -> {
          step.handOver = () -> handOver(() -> {
            if (found.failed()) {
              return Future.failedFuture(found.cause());
            }
            return found.result() != null ? Future.succeededFuture(new AppendResult(found.result(), true))
                : storeEntry.apply(entry).compose(r -> vertx.executeBlocking(() -> {
                  store.put(spec.namespace(), idemKey, entry.getWriteTimeMs(), r.entryId());
                  return r;
                }));
          }, outcome);
          step.ready = true;
          drain(loop, lane);
        });
    return appended.future();
  }

  /** Runs {@code store} (which hands an entry to the queue, or decides not to) and passes its outcome on. */
  private static void handOver(java.util.function.Supplier<Future<AppendResult>> store, Promise<AppendResult> outcome) {
    Future<AppendResult> stored;
    try {
      stored = store.get();
    } catch (RuntimeException e) {
      stored = Future.failedFuture(e);
    }
    stored.onComplete(outcome);
  }

  /**
   * On the lane's loop: hands over, in order, every append at the head of the lane that may go, in a loop (a chain of
   * futures would hand over a long lane in one deep stack). An outcome handed on may append again: that append joins
   * the lane, and this loop, already running, takes it.
   */
  private void drain(ContextInternal loop, Lane lane) {
    if (lane.draining) {
      return;
    }
    lane.draining = true;
    try {
      Step head;
      while ((head = lane.steps.peek()) != null && head.ready) {
        lane.steps.poll();
        head.handOver.run();
      }
    } finally {
      lane.draining = false;
    }
    if (lane.steps.isEmpty() && lanes.remove(loop, lane)) {
      activeLanes.decrementAndGet();
    }
  }

  /**
   * Forgets every idempotency key of the namespace (it is destroyed): a namespace created again with the same name must
   * store a write whose key an old entry had, not answer it with that destroyed entry's id. A failure's message says
   * so, for the caller's log.
   */
  public Future<Void> forgetAll() {
    return vertx.<Void>executeBlocking(() -> {
      store.sweep(spec.namespace(), Long.MAX_VALUE);
      return null;
    }).recover(e -> Future.failedFuture(new IllegalStateException("Namespace " + spec.namespace() + ": forgetting its"
        + " idempotency keys failed (" + e + "); a namespace created again with its name answers a key reused within"
        + " its dedupe window with the old entry's id", e)));
  }

  /** Stops the sweeper. */
  public void close() {
    if (sweepTimer >= 0) {
      vertx.cancelTimer(sweepTimer);
      sweepTimer = -1;
    }
  }
}
