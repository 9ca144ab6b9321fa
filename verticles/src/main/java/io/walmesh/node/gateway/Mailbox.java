package io.walmesh.node.gateway;

import io.vertx.core.Context;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Tasks posted from any thread to run on one context, with one hop for as many as arrive before it runs: a producer
 * answering the writes of one log batch reaches the gateway's event loop once, not once per write. Tasks run in the
 * order they were posted. A task posted on the context itself waits too: it runs after the task posting it (in the
 * drain under way when posted from a mailbox task, else in a task of its own). Run at once instead, a local write's answer (which a backend that takes appends from any context gives on the
 * gateway's event loop) cost the node 1.12x the CPU per unary write and 0.92x the throughput in an A/B run (session 31,
 * docs/performance.md).
 */
final class Mailbox {
  private final Context context;
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();

  Mailbox(Context context) {
    this.context = context;
  }

  void post(Runnable task) {
    tasks.add(task);
    if (scheduled.compareAndSet(false, true)) {
      context.runOnContext(v -> drain());
    }
  }

  private void drain() {
    scheduled.set(false); // a task posted from here on schedules another drain, so none waits for a later one
    Runnable task;
    while ((task = tasks.poll()) != null) {
      task.run();
    }
  }
}
