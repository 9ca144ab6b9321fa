package io.walmesh.node.gateway;

import io.vertx.core.Promise;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * The answers of one {@code WriteToLogBatch} call: a slot per write, and one deadline for the whole call rather than
 * one per write. Once every write has its outcome the answers go out together; at the deadline, each write still
 * without one gets {@code noAnswer} (the entry may be stored: {@code durable: UNKNOWN}) and an outcome that comes after
 * that is dropped. Before, a future per write joined with {@code Future.join}, and a deadline per write in the
 * gateway's sweep, were about a tenth of the node's CPU under batched writes. Confined to the gateway's context.
 */
final class BatchAnswers {
  private final Outcome[] outcomes;
  private final IntFunction<Outcome> noAnswer;
  private final Consumer<Outcome[]> answer;
  private final Promise<Outcome> deadline = Promise.promise();
  private int unanswered;
  private boolean sent;

  /**
   * Waits for {@code count} outcomes for at most {@code timeoutMs}; {@code noAnswer} is the outcome of write i when it
   * has none by then, and {@code answer} gets all of them, once, in the order of the writes.
   */
  BatchAnswers(int count, Deadlines<Outcome> deadlines, long timeoutMs, IntFunction<Outcome> noAnswer,
               Consumer<Outcome[]> answer) {
    this.outcomes = new Outcome[count];
    this.unanswered = count;
    this.noAnswer = noAnswer;
    this.answer = answer;
    if (count == 0) {
      send();
      return;
    }
    // the sweep completes the deadline when it passes; a call answered before that completes it itself, and the sweep drops it
    deadlines.watch(deadline, timeoutMs, () -> null);
    deadline.future().onComplete(passed -> expire());
  }

  /** Write {@code slot}'s outcome; one that comes after the deadline is dropped. */
  void set(int slot, Outcome outcome) {
    if (sent || outcomes[slot] != null) {
      return;
    }
    outcomes[slot] = outcome;
    if (--unanswered == 0) {
      send();
    }
  }

  private void expire() {
    if (sent) {
      return;
    }
    for (int i = 0; i < outcomes.length; i++) {
      if (outcomes[i] == null) {
        outcomes[i] = noAnswer.apply(i);
      }
    }
    send();
  }

  private void send() {
    sent = true;
    deadline.tryComplete(null);
    answer.accept(outcomes);
  }
}
