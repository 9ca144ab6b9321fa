package io.walmesh.node.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The gateway's "no answer in time" sweep on its own (no real form to test it through: a local producer that never
 * answers cannot be made from outside): an answer that comes in time wins, a late one gets the fallback at its
 * deadline and not before, and the sweep stops once nothing is in flight.
 */
class DeadlinesTest {
  @Test
  void answersInTimeWinLateOnesGetTheFallbackAtTheirDeadline() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      CompletableFuture<Deadlines<String>> made = new CompletableFuture<>();
      Promise<String> answered = Promise.promise();
      Promise<String> late = Promise.promise();
      Promise<String> later = Promise.promise();
      long[] started = new long[1];
      io.vertx.core.Context context = vertx.getOrCreateContext(); // the sweep is confined to one context, as in a gateway
      context.runOnContext(v -> {
        Deadlines<String> deadlines = new Deadlines<>(vertx);
        started[0] = System.nanoTime();
        deadlines.watch(answered, 200, () -> "expired");
        deadlines.watch(late, 200, () -> "expired");
        deadlines.watch(later, 2_000, () -> "expired later");
        answered.complete("answer");
        made.complete(deadlines);
      });
      Deadlines<String> deadlines = made.get(5, TimeUnit.SECONDS);
      assertThat(late.future().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS)).isEqualTo("expired");
      long lateAfterMs = (System.nanoTime() - started[0]) / 1_000_000;
      assertThat(lateAfterMs).as("not before its deadline").isGreaterThanOrEqualTo(200);
      assertThat(later.future().isComplete()).as("a longer deadline is still running").isFalse();
      assertThat(later.future().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS)).isEqualTo("expired later");
      assertThat(answered.future().result()).isEqualTo("answer");
      await().atMost(Duration.ofSeconds(2)).until(() -> runOn(context, deadlines::pending) == 0);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  private static int runOn(io.vertx.core.Context context, java.util.function.IntSupplier read) throws Exception {
    CompletableFuture<Integer> value = new CompletableFuture<>();
    context.runOnContext(v -> value.complete(read.getAsInt()));
    return value.get(5, TimeUnit.SECONDS);
  }
}
