package io.walmesh.node.gateway;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.function.Supplier;

/**
 * "No answer in time" for writes a gateway handed to a producer on its own node: one timer per gateway sweeps the
 * writes in flight every {@value #TICK_MS} ms, instead of a timer set and cancelled per write (which cost about a
 * tenth of the gateway event loop's CPU under load: two updates of Netty's timer heap per write). A write whose
 * answer came is dropped at the next sweep; one past its deadline gets the fallback outcome. The timer runs only while
 * writes are in flight. Confined to the gateway's context.
 */
final class Deadlines<T> {
  static final long TICK_MS = 10;

  private record Watched<T>(Promise<T> promise, long deadlineNanos, Supplier<T> onExpiry) {
  }

  private final Vertx vertx;
  private final ArrayList<Watched<T>> watched = new ArrayList<>();
  private long timer = -1;

  Deadlines(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Completes {@code promise} with {@code onExpiry} unless something else completes it within {@code timeoutMs}. */
  void watch(Promise<T> promise, long timeoutMs, Supplier<T> onExpiry) {
    watched.add(new Watched<>(promise, System.nanoTime() + timeoutMs * 1_000_000L, onExpiry));
    if (timer < 0) {
      timer = vertx.setPeriodic(TICK_MS, id -> sweep());
    }
  }

  /** Writes still waiting for an answer (for tests and metrics). */
  int pending() {
    return watched.size();
  }

  private void sweep() {
    long now = System.nanoTime();
    int kept = 0;
    for (int i = 0; i < watched.size(); i++) {
      Watched<T> w = watched.get(i);
      if (w.promise().future().isComplete()) {
        continue;
      }
      if (now - w.deadlineNanos() >= 0) {
        w.promise().tryComplete(w.onExpiry().get());
        continue;
      }
      watched.set(kept++, w);
    }
    watched.subList(kept, watched.size()).clear();
    if (watched.isEmpty()) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  /** Stops the sweep (the gateway is stopping). */
  void close() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }
}
