package io.walmesh.node.gateway;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServerRequest;
import io.walmesh.node.internal.Text;
import io.walmesh.protocol.v1.WriteAheadLogGrpcService;
import io.walmesh.protocol.v1.WriteToLogRequest;
import io.walmesh.protocol.v1.WriteToLogStreamRequest;
import io.walmesh.protocol.v1.WriteToLogStreamResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code WriteToLogStream} call: each request message is written as {@code WriteToLog} would
 * write it and answered on the stream with its request id, in the order the writes finish.
 *
 * <p>Bounded: at most {@code maxUnanswered} requests of the stream are in flight. At the bound, and
 * while the client does not read its answers (the response's write queue is full), the node stops
 * reading the stream, so HTTP/2 flow control holds the client back and a slow or greedy client
 * never makes the node buffer without limit. When the client ends its side, the call ends with
 * status OK once every request is answered. Bytes that are not a request message (oversized, bad
 * gzip, not protobuf) end the whole call with the status {@link UnaryCall} would give, since their
 * request id cannot be read; a request that is read but refused (unknown namespace, no permission,
 * over the node's budget...) gets its own answer with that status and the stream goes on.
 */
final class StreamCall {
  private static final Logger log = LoggerFactory.getLogger(StreamCall.class);
  /** The most requests of one stream the node holds unanswered. */
  static final int MAX_UNANSWERED = 1024;

  private final GrpcServerRequest<WriteToLogStreamRequest, WriteToLogStreamResponse> call;
  private final int maxUnanswered;
  private final Write write;
  private int unanswered;
  private boolean ended;
  private boolean closed;
  private boolean paused;

  /** Stores one request of the stream: {@code bytes} is the size of the stream message that carried it, or -1. */
  interface Write {
    Future<Outcome> apply(WriteToLogRequest request, long bytes);
  }

  private StreamCall(GrpcServerRequest<WriteToLogStreamRequest, WriteToLogStreamResponse> call, int maxUnanswered,
                     Write write) {
    this.call = call;
    this.maxUnanswered = maxUnanswered;
    this.write = write;
  }

  /** Serves the call: reads requests, hands each to {@code write}, answers each outcome. */
  static void serve(GrpcServerRequest<WriteToLogStreamRequest, WriteToLogStreamResponse> call, long maxMessageBytes,
                    int maxUnanswered, Write write) {
    StreamCall stream = new StreamCall(call, maxUnanswered, write);
    call.exceptionHandler(e -> {
      stream.closed = true; // the client reset the stream or the connection dropped
      log.debug("gRPC call {} ended by the client: {}", call.fullMethodName(), e.toString());
    });
    call.invalidMessageHandler(invalid -> stream.fail(GrpcStatus.RESOURCE_EXHAUSTED,
        UnaryCall.overLimit("a request message", invalid, maxMessageBytes)));
    call.messageHandler(message -> {
      if (stream.closed) {
        return;
      }
      WriteToLogStreamRequest request = UnaryCall.decode(call, message, WriteAheadLogGrpcService.WriteToLogStream.decoder(),
          maxMessageBytes, stream::fail);
      if (request != null) {
        stream.accept(request, UnaryCall.wireBytes(message));
      }
    });
    call.endHandler(v -> {
      stream.ended = true;
      stream.finishWhenAnswered();
    });
  }

  private void accept(WriteToLogStreamRequest request, long bytes) {
    long id = request.getRequestId();
    unanswered++;
    flow();
    Future<Outcome> outcome = request.hasRequest() ? write.apply(request.getRequest(), bytes)
        : Future.succeededFuture(Outcome.refused(GrpcStatus.INVALID_ARGUMENT, "request " + id
            + " has no request: set WriteToLogStreamRequest.request"));
    outcome.onComplete(done -> answer(id, done));
  }

  private void answer(long id, AsyncResult<Outcome> done) {
    unanswered--;
    if (closed) {
      return;
    }
    Outcome outcome = done.succeeded() && done.result() != null ? done.result()
        : Outcome.refused(GrpcStatus.INTERNAL, "the node failed to route the write: " + done.cause());
    WriteToLogStreamResponse.Builder answer = WriteToLogStreamResponse.newBuilder().setRequestId(id)
        .setStatusCode(outcome.status().code);
    if (outcome.status() == GrpcStatus.OK) {
      answer.setResponse(outcome.response());
    } else {
      answer.setStatusMessage(Text.truncate(outcome.message(), UnaryCall.MAX_STATUS_MESSAGE_CHARS));
    }
    FlushBatching.beginAnswers(call.connection());
    try {
      call.response().write(answer.build());
    } catch (IllegalStateException e) { // the client reset the stream meanwhile
      closed = true;
      return;
    }
    flow();
    finishWhenAnswered();
  }

  /** Reads on while under the bound and the client reads its answers; stops reading otherwise. */
  private void flow() {
    if (closed) {
      return;
    }
    boolean full = call.response().writeQueueFull();
    boolean hold = unanswered >= maxUnanswered || full;
    if (hold) {
      if (!paused) {
        paused = true;
        call.pause();
      }
      // also when the stream was first held for its unanswered bound: once every answer is written and the queue is
      // full, only the drain can resume it (no later answer will call this again)
      if (full) {
        call.response().drainHandler(v -> flow());
      }
    } else if (paused) {
      paused = false;
      call.resume();
    }
  }

  private void finishWhenAnswered() {
    if (ended && unanswered == 0 && !closed) {
      closed = true;
      try {
        call.response().end();
      } catch (IllegalStateException e) {
        log.debug("gRPC call {}: the end could not be sent: {}", call.fullMethodName(), e.getMessage());
      }
    }
  }

  private void fail(GrpcStatus status, String message) {
    if (closed) {
      return;
    }
    closed = true;
    UnaryCall.end(call, status, message);
  }
}
