package io.walmesh.node.gateway;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.grpc.common.GrpcStatus;
import io.walmesh.node.metrics.Metrics;
import io.walmesh.node.producer.ProducerVerticle;
import io.walmesh.protocol.v1.WriteToLogRequest;
import java.util.function.Function;

/**
 * A gateway's writes to producers on its own node, without the event bus, with the answers the event bus would give
 * (a refusal's {@code WriteFailure} as its gRPC status; no answer by the timeout is {@code durable: UNKNOWN}; a
 * stopping producer is "no owner"). The writes decoded in one turn of the gateway's event loop go to their producer
 * together, in the order they came ({@link ProducerVerticle#submitAll}): with one context switch, or none when the
 * producer runs them on this event loop (a backend that takes appends from any context); the answers come back
 * through a {@link Mailbox}, one switch per burst. Confined to the gateway's context.
 */
final class LocalWrites {
  private final Metrics metrics;
  private final Function<String, String> whyUnavailable;
  private final Deadlines<Outcome> deadlines;
  private final Mailbox replies;
  /** Writes decoded in this turn of the event loop, per producer, not yet handed over. */
  private final PerTurn<ProducerVerticle, ProducerVerticle.Submission> handOff;

  LocalWrites(Context context, Deadlines<Outcome> deadlines, Metrics metrics, Function<String, String> whyUnavailable) {
    this.metrics = metrics;
    this.whyUnavailable = whyUnavailable;
    this.deadlines = deadlines;
    this.replies = new Mailbox(context);
    this.handOff = new PerTurn<>(context, ProducerVerticle::submitAll);
  }

  /**
   * Hands one write to {@code producer}; its future completes on the gateway's context. {@code watched}: no answer
   * within {@code timeout} ms completes it with {@link Outcome#noAnswer}; a caller that keeps a deadline of its own
   * (a batch call, {@link BatchAnswers}) passes false.
   */
  Future<Outcome> write(ProducerVerticle producer, WriteToLogRequest request, long timeout, String traceparent,
                        boolean watched) {
    Promise<Outcome> outcome = Promise.promise();
    if (watched) {
      deadlines.watch(outcome, timeout, () -> Outcome.noAnswer(request.getNamespace(), timeout));
    }
    handOff.add(producer, new ProducerVerticle.Submission(request, traceparent,
        done -> replies.post(() -> outcome.tryComplete(answered(request.getNamespace(), done)))));
    return outcome.future();
  }

  /** Gathers the writes of one {@code WriteToLogBatch} call of up to {@code count} writes for producers on this node. */
  Gathered gathered(int count) {
    return new Gathered(count);
  }

  /**
   * The writes of one {@code WriteToLogBatch} call for producers on this node, per producer, with their places in the
   * call; {@link #handOver} hands each producer's to it as one ({@link #writeAll}).
   */
  final class Gathered {
    private final int capacity;
    private final java.util.Map<ProducerVerticle, Writes> byProducer = new java.util.HashMap<>(2);
    /** The producer of the write before, and its writes: a call's writes mostly go to one. */
    private ProducerVerticle last;
    private Writes lastWrites;

    private record Writes(java.util.List<WriteToLogRequest> requests, int[] slots) {
    }

    private Gathered(int capacity) {
      this.capacity = capacity;
    }

    /** Write {@code slot} of the call, for {@code producer}. */
    void add(ProducerVerticle producer, int slot, WriteToLogRequest request) {
      if (producer != last) {
        lastWrites = byProducer.computeIfAbsent(producer, p -> new Writes(new java.util.ArrayList<>(capacity),
            new int[capacity]));
        last = producer;
      }
      lastWrites.slots()[lastWrites.requests().size()] = slot;
      lastWrites.requests().add(request);
    }

    /** Hands each producer its writes; their outcomes go to {@code answers}, each in its place. */
    void handOver(String traceparent, BatchAnswers answers) {
      byProducer.forEach((producer, writes) -> writeAll(producer, writes.requests(), writes.slots(), traceparent,
          answers));
    }
  }

  /**
   * Hands several writes of one {@code WriteToLogBatch} call to {@code producer}, with the turn's other writes for
   * it and in the order given; request {@code k}'s outcome goes to {@code answers} at {@code slots[k]}. The producer
   * answers them on its context; once it has answered them all, their outcomes come back to the gateway's context in one
   * task, not one per write. Not watched one by one: the call keeps one deadline for all of them ({@link BatchAnswers}).
   */
  private void writeAll(ProducerVerticle producer, java.util.List<WriteToLogRequest> requests, int[] slots,
                        String traceparent, BatchAnswers answers) {
    int count = requests.size();
    ProducerVerticle.Answer[] answered = new ProducerVerticle.Answer[count];
    int[] unanswered = {count}; // counted on the producer's context, which answers every write of a hand-off
    java.util.ArrayList<ProducerVerticle.Submission> submissions = new java.util.ArrayList<>(count);
    for (int k = 0; k < count; k++) {
      int write = k;
      WriteToLogRequest request = requests.get(k);
      submissions.add(new ProducerVerticle.Submission(request, traceparent, answer -> {
        answered[write] = answer;
        if (--unanswered[0] == 0) {
          replies.post(() -> {
            for (int i = 0; i < count; i++) {
              answers.set(slots[i], answered(requests.get(i).getNamespace(), answered[i]));
            }
          });
        }
      }));
    }
    handOff.addAll(producer, submissions);
  }

  private Outcome answered(String namespace, ProducerVerticle.Answer answer) {
    if (answer.failure() == null) {
      return new Outcome(GrpcStatus.OK, null, answer.response());
    } else if (answer == ProducerVerticle.Answer.STOPPING) {
      metrics.writes(namespace, "unavailable").increment();
      return Outcome.noOwner(namespace, whyUnavailable);
    }
    return Outcome.refusedWith(answer.failure(), answer.message());
  }
}
