package io.walmesh.node.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway's mailbox on its own (a component with no outside form: what a client sees of it is the order and the
 * arrival of answers, which {@code WriteToLogTest} checks): tasks run on the mailbox's context in the order they were
 * posted, from any thread, the context's own included, and a task posted on the context runs after the task that
 * posted it.
 */
class MailboxTest {
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void aTaskRunsOnTheMailboxsContextAfterTheTaskThatPostedIt() throws Exception {
    Context context = vertx.getOrCreateContext();
    Mailbox mailbox = new Mailbox(context);
    CompletableFuture<String> onContext = new CompletableFuture<>();
    context.runOnContext(v -> {
      boolean[] postingTaskDone = {false};
      mailbox.post(() -> onContext.complete((postingTaskDone[0] ? "after" : "inside") + " the posting task, on "
          + (Vertx.currentContext() == context ? "the context" : Vertx.currentContext())));
      postingTaskDone[0] = true;
    });
    assertThat(onContext.get(5, TimeUnit.SECONDS)).isEqualTo("after the posting task, on the context");

    CompletableFuture<Context> ranOn = new CompletableFuture<>();
    mailbox.post(() -> ranOn.complete(Vertx.currentContext())); // from the test's thread
    assertThat(ranOn.get(5, TimeUnit.SECONDS)).isSameAs(context);
  }

  @Test
  void tasksRunInTheOrderPostedWhenSomePostedOnTheContextFollowOthersStillWaiting() throws Exception {
    Context context = vertx.getOrCreateContext();
    Mailbox mailbox = new Mailbox(context);
    List<Integer> order = new CopyOnWriteArrayList<>();
    CountDownLatch done = new CountDownLatch(1);
    java.util.concurrent.atomic.AtomicInteger ranAhead = new java.util.concurrent.atomic.AtomicInteger(-1);
    context.runOnContext(v -> {
      // posted from another thread while this task holds the event loop: they wait for a drain after it
      Thread other = new Thread(() -> {
        for (int i = 0; i < 100; i++) {
          int n = i;
          mailbox.post(() -> order.add(n));
        }
      });
      other.start();
      try {
        other.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      for (int i = 100; i < 200; i++) {
        int n = i;
        mailbox.post(() -> order.add(n)); // on the context, but behind the waiting ones
      }
      ranAhead.set(order.size()); // asserted on the test's thread: a failure here would only time out the latch
      mailbox.post(done::countDown);
    });
    assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(ranAhead.get()).as("tasks that ran ahead of the waiting ones").isZero();
    assertThat(order).hasSize(200).isSorted();

    // many threads at once, and the context posting too: each poster's tasks keep their order
    List<String> seen = new CopyOnWriteArrayList<>();
    CountDownLatch all = new CountDownLatch(4 * 500);
    for (int t = 0; t < 3; t++) {
      String poster = "thread-" + t;
      new Thread(() -> {
        for (int i = 0; i < 500; i++) {
          String task = poster + ":" + i;
          mailbox.post(() -> {
            seen.add(task);
            all.countDown();
          });
        }
      }).start();
    }
    for (int i = 0; i < 500; i++) {
      String task = "context:" + i;
      // each from an event-loop task of its own, between the other threads' posts
      context.runOnContext(x -> mailbox.post(() -> {
        seen.add(task);
        all.countDown();
      }));
    }
    assertThat(all.await(10, TimeUnit.SECONDS)).isTrue();
    for (String poster : List.of("thread-0", "thread-1", "thread-2", "context")) {
      List<Integer> mine = seen.stream().filter(s -> s.startsWith(poster + ":"))
          .map(s -> Integer.parseInt(s.substring(poster.length() + 1))).toList();
      assertThat(mine).as(poster).hasSize(500).isSorted();
    }
  }
}
