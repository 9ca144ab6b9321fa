package io.walmesh.node.gateway;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpConnection;
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
  /** The stream's request messages, decoded where they lie; one decoder for every message of every stream. */
  static final io.vertx.grpc.common.GrpcMessageDecoder<WriteToLogStreamRequest> DECODER = ProtobufDecoder.of(
      WriteToLogStreamRequest.getDefaultInstance(), WriteAheadLogGrpcService.WriteToLogStream.decoder());

  private final Io io;
  private final int maxUnanswered;
  private Write write;
  private int unanswered;
  private boolean ended;
  private boolean closed;
  private boolean paused;

  /** Stores one request of the stream: {@code bytes} is the size of the stream message that carried it, or -1. */
  interface Write {
    Future<Outcome> apply(WriteToLogRequest request, long bytes);
  }

  /**
   * Opens a stream for writing, before any of its requests is read: the {@link Write} of the stream's caller, or null
   * after {@link Io#fail} ended the call (no identity, say).
   */
  interface Opener {
    Write open(Io call);
  }

  /**
   * The call's transport, as the stream's reader gives it: vertx-grpc's call ({@link #serve}) or the HTTP/2 request
   * itself ({@link DirectStream}). Confined to the connection's event loop.
   */
  interface Io {
    String fullMethodName();

    MultiMap headers();

    HttpConnection connection();

    /** Stops reading requests (HTTP/2 flow control then holds the client back). */
    void pause();

    /** Reads requests again. */
    void resume();

    /** Whether the client is behind in reading answers. */
    boolean writeQueueFull();

    /** Runs {@code then} once the client has caught up. */
    void drainHandler(Runnable then);

    /** Sends one answer; throws {@link IllegalStateException} when the client has reset the stream. */
    void write(WriteToLogStreamResponse answer);

    /** Ends the call with status OK. */
    void end();

    /** Ends the call with a non-OK status and a message, cut and encoded as the gRPC spec says. */
    void fail(GrpcStatus status, String message);
  }

  StreamCall(Io io, int maxUnanswered) {
    this.io = io;
    this.maxUnanswered = maxUnanswered;
  }

  /** Opens the stream with {@code opener}; false when it ended the call instead. */
  boolean open(Opener opener) {
    write = opener.open(io);
    if (write == null) {
      closed = true;
    }
    return write != null;
  }

  /**
   * Serves a call read by vertx-grpc (a stream in a form {@link DirectStream} does not read): reads requests, hands
   * each on, answers each outcome.
   */
  static void serve(GrpcServerRequest<WriteToLogStreamRequest, WriteToLogStreamResponse> call, long maxMessageBytes,
                    int maxUnanswered, Opener opener) {
    StreamCall stream = new StreamCall(new GrpcIo(call), maxUnanswered);
    if (!stream.open(opener)) {
      return;
    }
    call.exceptionHandler(e -> {
      stream.reset(); // the client reset the stream or the connection dropped
      log.debug("gRPC call {} ended by the client: {}", call.fullMethodName(), e.toString());
    });
    call.invalidMessageHandler(invalid -> stream.fail(GrpcStatus.RESOURCE_EXHAUSTED,
        UnaryCall.overLimit("a request message", invalid, maxMessageBytes)));
    call.messageHandler(message -> {
      if (stream.closed) {
        return;
      }
      WriteToLogStreamRequest request = UnaryCall.decode(call, message, DECODER,
          maxMessageBytes, stream::fail);
      if (request != null) {
        stream.accept(request, UnaryCall.wireBytes(message));
      }
    });
    call.endHandler(v -> stream.ended());
  }

  /** Whether the call is over (answered, failed, or reset by the client): requests are no longer read. */
  boolean closed() {
    return closed;
  }

  /** The client reset the stream or the connection dropped: nothing more is sent. */
  void reset() {
    closed = true;
  }

  /** The client ended its side: the call ends with status OK once every request is answered. */
  void ended() {
    ended = true;
    finishWhenAnswered();
  }

  /** One request of the stream, read and decoded: stored, then answered with its id. */
  void accept(WriteToLogStreamRequest request, long bytes) {
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
    FlushBatching.beginAnswers(io.connection());
    try {
      io.write(answer.build());
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
    boolean full = io.writeQueueFull();
    boolean hold = unanswered >= maxUnanswered || full;
    if (hold) {
      if (!paused) {
        paused = true;
        io.pause();
      }
      // also when the stream was first held for its unanswered bound: once every answer is written and the queue is
      // full, only the drain can resume it (no later answer will call this again)
      if (full) {
        io.drainHandler(this::flow);
      }
    } else if (paused) {
      paused = false;
      io.resume();
    }
  }

  private void finishWhenAnswered() {
    if (ended && unanswered == 0 && !closed) {
      closed = true;
      try {
        io.end();
      } catch (IllegalStateException e) {
        log.debug("gRPC call {}: the end could not be sent: {}", io.fullMethodName(), e.getMessage());
      }
    }
  }

  /** Ends the whole call with a status (bytes that are not a request message); once only. */
  void fail(GrpcStatus status, String message) {
    if (closed) {
      return;
    }
    closed = true;
    io.fail(status, message);
  }

  /** {@link Io} over vertx-grpc's call. */
  private record GrpcIo(GrpcServerRequest<WriteToLogStreamRequest, WriteToLogStreamResponse> call) implements Io {
    @Override
    public String fullMethodName() {
      return call.fullMethodName();
    }

    @Override
    public MultiMap headers() {
      return call.headers();
    }

    @Override
    public HttpConnection connection() {
      return call.connection();
    }

    @Override
    public void pause() {
      call.pause();
    }

    @Override
    public void resume() {
      call.resume();
    }

    @Override
    public boolean writeQueueFull() {
      return call.response().writeQueueFull();
    }

    @Override
    public void drainHandler(Runnable then) {
      call.response().drainHandler(v -> then.run());
    }

    @Override
    public void write(WriteToLogStreamResponse answer) {
      call.response().write(answer);
    }

    @Override
    public void end() {
      call.response().end();
    }

    @Override
    public void fail(GrpcStatus status, String message) {
      UnaryCall.end(call, status, message);
    }
  }
}
