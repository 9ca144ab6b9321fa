package io.walmesh.node.gateway;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.grpc.common.GrpcStatus;
import io.walmesh.node.tracing.Tracing;
import io.walmesh.protocol.Addresses;
import io.walmesh.protocol.WriteFailure;
import io.walmesh.protocol.v1.WriteToLogBatchRequest;
import io.walmesh.protocol.v1.WriteToLogBatchResponse;
import io.walmesh.protocol.v1.WriteToLogBatchResult;
import io.walmesh.protocol.v1.WriteToLogRequest;
import io.walmesh.protocol.v1.WriteToLogResponse;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A gateway's writes to a producer on another node of the mesh, over the event bus. The writes for one namespace
 * decoded in one turn of the gateway's event loop travel as one message ({@link Addresses#writeBatch}, a
 * {@code WriteToLogBatchRequest}) and come back as one reply with an answer each, in order, rather than one request,
 * reply, reply handler and timer per write. A lone write travels as it always did ({@link Addresses#write}). Each write
 * keeps its own deadline (no answer in time is {@code durable: UNKNOWN}) and its own trace context (header
 * {@code traceparent-<i>} for the batch's i-th write).
 *
 * <p>An owner running an older walmesh has no batch address: a batch refused with "no handlers" is sent again one
 * write per message, and once the owner answers one of those, this gateway sends that namespace's writes singly for
 * {@value #SINGLY_FOR_MS} ms before it tries a batch again.
 * Confined to the gateway's context.
 */
final class RemoteWrites {
  /** How long a namespace whose owner took no batch is written to one write per message. */
  static final long SINGLY_FOR_MS = 30_000;
  /** At most this many writes per message; the owner refuses a batch over {@link Addresses#MAX_BATCH_WRITES}. */
  static final int MAX_PER_MESSAGE = 256;
  /**
   * A message holds writes up to this many bytes (a write larger than that travels alone): large writes do not become
   * one huge message that holds up the connection between two members.
   */
  static final long MAX_BYTES_PER_MESSAGE = 1 << 20;

  private final Vertx vertx;
  private final Deadlines<Outcome> deadlines;
  /** Maps an event-bus failure (or a refusal) to the write's outcome. */
  private final Failed failed;
  /** Writes routed in this turn of the event loop, per namespace, not yet sent. */
  private final PerTurn<String, Pending> turn;
  /** Namespaces whose owner took no batch, and until when (System.nanoTime) they are written singly. */
  private final Map<String, Long> singly = new HashMap<>();

  private record Pending(WriteToLogRequest request, long timeout, String traceparent, Promise<Outcome> outcome) {
  }

  /** The outcome of a write whose message to the owner failed: no owner, no answer in time, a refusal. */
  @FunctionalInterface
  interface Failed {
    Outcome outcome(String namespace, long timeout, Throwable cause);
  }

  RemoteWrites(Vertx vertx, Context context, Deadlines<Outcome> deadlines, Failed failed) {
    this.vertx = vertx;
    this.deadlines = deadlines;
    this.failed = failed;
    this.turn = new PerTurn<>(context, this::send);
  }

  /**
   * Sends one write to its owner; the future completes on the gateway's context. {@code watched}: no answer within
   * {@code timeout} ms completes it with {@link Outcome#noAnswer}; a caller that keeps a deadline of its own passes
   * false (the event bus's send timeout still ends the request).
   */
  Future<Outcome> write(WriteToLogRequest request, long timeout, String traceparent, boolean watched) {
    String namespace = request.getNamespace();
    Promise<Outcome> outcome = Promise.promise();
    if (watched) {
      deadlines.watch(outcome, timeout, () -> Outcome.noAnswer(namespace, timeout));
    }
    turn.add(namespace, new Pending(request, timeout, traceparent, outcome));
    return outcome.future();
  }

  private void send(String namespace, List<Pending> writes) {
    Long until = singly.get(namespace);
    if (until != null && System.nanoTime() - until > 0) {
      singly.remove(namespace);
      until = null;
    }
    if (writes.size() == 1 || until != null) {
      writes.forEach(this::sendOne);
      return;
    }
    int from = 0;
    while (from < writes.size()) {
      int to = from + 1;
      long bytes = writes.get(from).request().getSerializedSize();
      while (to < writes.size() && to - from < MAX_PER_MESSAGE
          && bytes + writes.get(to).request().getSerializedSize() <= MAX_BYTES_PER_MESSAGE) {
        bytes += writes.get(to).request().getSerializedSize();
        to++;
      }
      if (to - from == 1) {
        sendOne(writes.get(from));
      } else {
        sendBatch(namespace, writes.subList(from, to));
      }
      from = to;
    }
  }

  /** Sends one write in a message of its own; the future says whether the owner's answer (or refusal) came back. */
  private Future<Void> sendOne(Pending write) {
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(write.timeout());
    if (write.traceparent() != null) {
      options.addHeader(Tracing.TRACEPARENT, write.traceparent());
    }
    String namespace = write.request().getNamespace();
    return vertx.eventBus().<Object>request(Addresses.write(namespace), write.request(), options).transform(reply -> {
      write.outcome().tryComplete(reply.failed() ? failed.outcome(namespace, write.timeout(), reply.cause())
          : reply.result().body() instanceof WriteToLogResponse response ? new Outcome(GrpcStatus.OK, null, response)
          : Outcome.refused(GrpcStatus.INTERNAL, "the owner answered " + reply.result().body()));
      boolean ownerAnswered = reply.succeeded() || reply.cause() instanceof ReplyException e
          && e.failureType() == ReplyFailure.RECIPIENT_FAILURE;
      return ownerAnswered ? Future.succeededFuture() : Future.failedFuture(reply.cause());
    });
  }

  private void sendBatch(String namespace, List<Pending> writes) {
    WriteToLogBatchRequest.Builder batch = WriteToLogBatchRequest.newBuilder();
    long timeout = 1;
    DeliveryOptions options = new DeliveryOptions();
    for (int i = 0; i < writes.size(); i++) {
      Pending write = writes.get(i);
      batch.addRequests(write.request());
      timeout = Math.max(timeout, write.timeout());
      if (write.traceparent() != null) {
        options.addHeader(Addresses.batchTraceparent(i), write.traceparent());
      }
    }
    options.setSendTimeout(timeout);
    vertx.eventBus().<Object>request(Addresses.writeBatch(namespace), batch.build(), options).onComplete(reply -> {
      if (reply.failed()) {
        if (reply.cause() instanceof ReplyException e && e.failureType() == ReplyFailure.NO_HANDLERS) {
          // no batch address: an owner from before batches, or no owner at all (which the single sends will say);
          // once an owner answers a single send, this namespace's writes go singly for a while
          writes.forEach(write -> sendOne(write).onSuccess(v ->
              singly.put(namespace, System.nanoTime() + SINGLY_FOR_MS * 1_000_000L)));
          return;
        }
        writes.forEach(write -> write.outcome().tryComplete(failed.outcome(namespace, write.timeout(), reply.cause())));
        return;
      }
      List<WriteToLogBatchResult> results = reply.result().body() instanceof WriteToLogBatchResponse response
          ? response.getResultsList() : List.of();
      for (int i = 0; i < writes.size(); i++) {
        writes.get(i).outcome().tryComplete(i < results.size() ? outcomeOf(results.get(i))
            : Outcome.refused(GrpcStatus.INTERNAL, "the owner of namespace " + namespace + " answered "
                + results.size() + " of a batch of " + writes.size() + " writes"));
      }
    });
  }

  /** One write's answer in a batch reply: a response, or the refusal's code (a {@link WriteFailure} code) and why. */
  private static Outcome outcomeOf(WriteToLogBatchResult result) {
    if (result.getStatusCode() == 0) {
      return new Outcome(GrpcStatus.OK, null, result.getResponse());
    }
    return Outcome.refusedWith(WriteFailure.ofCode(result.getStatusCode()), result.getStatusMessage());
  }
}
