package io.walmesh.node.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import io.walmesh.protocol.v1.Trilean;
import io.walmesh.protocol.v1.WriteToLogResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A batch call's one deadline on its own, as {@link DeadlinesTest} tests the sweep (no real form: a producer that
 * never answers cannot be made from outside). Every write is answered exactly once, in order; a write with no outcome
 * by the deadline is UNKNOWN, not before the deadline; an outcome after it is dropped; and a batch answered in time
 * leaves nothing in the sweep.
 */
class BatchAnswersTest {
  private Vertx vertx;
  private Context context;
  private Deadlines<Outcome> deadlines;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext(); // confined to one context, as in a gateway
    deadlines = on(() -> new Deadlines<>(vertx));
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void aBatchAnsweredInTimeIsSentOnceInOrderAndLeavesTheSweep() throws Exception {
    List<Outcome[]> sent = new CopyOnWriteArrayList<>();
    BatchAnswers answers = on(() -> new BatchAnswers(3, deadlines, 5_000, i -> noAnswer(), sent::add));
    on(() -> {
      answers.set(2, stored("c"));
      answers.set(0, stored("a"));
      return null;
    });
    assertThat(sent).as("not sent while a write is unanswered").isEmpty();
    on(() -> {
      answers.set(1, Outcome.refused(GrpcStatus.INVALID_ARGUMENT, "bad key"));
      answers.set(1, stored("again")); // a second outcome for a slot changes nothing
      return null;
    });
    assertThat(sent).hasSize(1);
    assertThat(sent.get(0)).extracting(o -> o.response() == null ? o.message() : o.response().getEntryId())
        .containsExactly("a", "bad key", "c");
    await().atMost(Duration.ofSeconds(2)).until(() -> on(deadlines::pending) == 0);
    Thread.sleep(100);
    assertThat(sent).as("answered once").hasSize(1);
  }

  @Test
  void writesWithoutAnOutcomeByTheDeadlineAreUnknownAndALateOutcomeIsDropped() throws Exception {
    CompletableFuture<Outcome[]> sent = new CompletableFuture<>();
    long started = System.nanoTime();
    BatchAnswers answers = on(() -> new BatchAnswers(3, deadlines, 300, i -> noAnswer(), sent::complete));
    on(() -> {
      answers.set(1, stored("b"));
      return null;
    });
    Outcome[] outcomes = sent.get(5, TimeUnit.SECONDS);
    assertThat((System.nanoTime() - started) / 1_000_000).as("not before the deadline").isGreaterThanOrEqualTo(300);
    assertThat(outcomes[0].response().getDurable()).isEqualTo(Trilean.UNKNOWN);
    assertThat(outcomes[1].response().getEntryId()).isEqualTo("b");
    assertThat(outcomes[2].response().getDurable()).isEqualTo(Trilean.UNKNOWN);
    on(() -> {
      answers.set(0, stored("late"));
      return null;
    });
    assertThat(outcomes[0].response().getDurable()).as("a late outcome does not change what was sent").isEqualTo(Trilean.UNKNOWN);
  }

  @Test
  void anEmptyBatchIsAnsweredAtOnce() throws Exception {
    CompletableFuture<Outcome[]> sent = new CompletableFuture<>();
    on(() -> new BatchAnswers(0, deadlines, 5_000, i -> noAnswer(), sent::complete));
    assertThat(sent.get(1, TimeUnit.SECONDS)).isEmpty();
    assertThat(on(deadlines::pending)).isZero();
  }

  private static Outcome stored(String entryId) {
    return new Outcome(GrpcStatus.OK, null, WriteToLogResponse.newBuilder().setDurable(Trilean.SUCCESS).setEntryId(entryId).build());
  }

  private static Outcome noAnswer() {
    return Outcome.noAnswer("orders", 300);
  }

  private <T> T on(java.util.concurrent.Callable<T> work) throws Exception {
    CompletableFuture<T> value = new CompletableFuture<>();
    context.runOnContext(v -> {
      try {
        value.complete(work.call());
      } catch (Exception e) {
        value.completeExceptionally(e);
      }
    });
    return value.get(5, TimeUnit.SECONDS);
  }
}
