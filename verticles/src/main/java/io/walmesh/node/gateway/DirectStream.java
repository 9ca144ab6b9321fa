package io.walmesh.node.gateway;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.WireFormat;
import io.walmesh.protocol.v1.WriteToLogStreamRequest;
import io.walmesh.protocol.v1.WriteToLogStreamResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@code WriteToLogStream} call read straight off Vert.x's HTTP/2 request, as {@link DirectUnary} reads unary calls:
 * the gRPC framing of each request message by hand, each answer one write of its framed bytes. What the stream does
 * with its requests (the bound on unanswered ones, flow control, the answers) is {@link StreamCall}'s, as for a
 * stream vertx-grpc reads.
 *
 * <p>The bytes of the request come in chunks (HTTP/2 DATA frames) that need not match messages: a chunk may hold
 * several messages, or part of one. Whole messages are handed on one by one while the stream is not paused; what is
 * left waits for the next chunk. While paused, the HTTP/2 request is paused too, so at most the chunk being read is
 * held, and HTTP/2 flow control holds the client back. A message announcing more than the limit ends the call from
 * its length prefix ({@code RESOURCE_EXHAUSTED}) before its bytes are held; a stream that ends in the middle of a
 * message ends with {@code INVALID_ARGUMENT}.
 */
final class DirectStream extends DirectCall implements StreamCall.Io {
  private static final Logger log = LoggerFactory.getLogger(DirectStream.class);

  private final HttpServerResponse response;
  private StreamCall stream;
  /** Bytes read and not yet handed on, from {@link #position}; null when none. */
  private Buffer pending;
  private int position;
  /** The stream's hand-off of requests is paused ({@link StreamCall}'s bound, or answers not read). */
  private boolean paused;
  /** Vert.x's request is paused: no more chunks come. */
  private boolean requestPaused;
  private boolean draining;
  private boolean requestEnded;

  private DirectStream(HttpServerRequest request, String fullMethodName, long maxMessageBytes) {
    super(request, fullMethodName, maxMessageBytes);
    this.response = request.response();
  }

  /** Serves the call: reads requests, hands each to the stream {@code opener} opened, answers each outcome. */
  static void serve(HttpServerRequest request, String fullMethodName, long maxMessageBytes, int maxUnanswered,
                    StreamCall.Opener opener) {
    DirectStream io = new DirectStream(request, fullMethodName, maxMessageBytes);
    StreamCall stream = new StreamCall(io, maxUnanswered);
    io.stream = stream;
    if (!stream.open(opener)) {
      return;
    }
    request.exceptionHandler(io::resetByClient);
    io.response.exceptionHandler(io::resetByClient);
    request.handler(io::received);
    request.endHandler(v -> {
      io.requestEnded = true;
      io.drain();
    });
  }

  private void resetByClient(Throwable e) {
    if (!stream.closed()) {
      stream.reset();
      log.debug("gRPC call {} ended by the client: {}", fullMethodName, e.toString());
    }
    pending = null;
  }

  private void received(Buffer chunk) {
    // failed or reset: what the client still sends is dropped; an empty DATA frame (often the one that ends the
    // stream) carries nothing
    if (stream.closed() || chunk.length() == 0) {
      return;
    }
    if (pending == null) {
      pending = chunk;
      position = 0;
    } else {
      // what is left of the earlier chunks (part of a message, or whole ones held while paused) and this one
      Buffer joined = Buffer.buffer(pending.length() - position + chunk.length());
      joined.appendBuffer(pending, position, pending.length() - position).appendBuffer(chunk);
      pending = joined;
      position = 0;
    }
    drain();
  }

  /** Hands on every whole message read, while not paused; then, at the end of the request, ends the stream's side. */
  private void drain() {
    if (draining) {
      return; // an answer resumed the stream while a message was being handed on: the loop below goes on
    }
    draining = true;
    try {
      while (!paused && !stream.closed() && pending != null) {
        int available = pending.length() - position;
        if (available < PREFIX) {
          break;
        }
        long length = pending.getUnsignedInt(position + 1);
        if (length > maxMessageBytes) {
          stream.fail(GrpcStatus.RESOURCE_EXHAUSTED, UnaryCall.overLimit("a request message", length, maxMessageBytes));
          pending = null;
          return;
        }
        if (available < PREFIX + length) {
          break;
        }
        boolean compressed = pending.getByte(position) != 0;
        int start = position + PREFIX;
        int end = (int) (start + length);
        Buffer payload = pending.slice(start, end);
        position = end;
        if (position == pending.length()) {
          pending = null;
        }
        handOn(compressed, payload, (int) length);
      }
      if (requestEnded && !paused && !stream.closed()) {
        if (pending != null) {
          pending = null;
          stream.fail(GrpcStatus.INVALID_ARGUMENT, "the request stream ended in the middle of a request message"
              + " (a truncated message)");
        } else {
          stream.ended();
        }
      }
    } finally {
      draining = false;
    }
  }

  private void handOn(boolean compressed, Buffer payload, int length) {
    WriteToLogStreamRequest decoded = UnaryCall.decode(fullMethodName, response::headers, encoding(compressed),
        WireFormat.PROTOBUF, payload, StreamCall.DECODER, maxMessageBytes, stream::fail);
    if (decoded != null) {
      stream.accept(decoded, compressed ? -1 : length);
    }
  }

  @Override
  public void pause() {
    paused = true;
    pauseRequest(true);
  }

  @Override
  public void resume() {
    if (paused) {
      paused = false;
      drain(); // whole messages held while paused first (which may pause the stream again), then more from the client
      pauseRequest(paused);
    }
  }

  /** Pauses or resumes reading the HTTP/2 request; once it has ended there is nothing left to hold back. */
  private void pauseRequest(boolean pause) {
    if (requestEnded || pause == requestPaused) {
      return;
    }
    requestPaused = pause;
    if (pause) {
      request.pause();
    } else {
      request.resume();
    }
  }

  @Override
  public boolean writeQueueFull() {
    return response.writeQueueFull();
  }

  @Override
  public void drainHandler(Runnable then) {
    response.drainHandler(v -> then.run());
  }

  @Override
  public void write(WriteToLogStreamResponse answer) {
    write(response, frame(answer, fullMethodName));
  }

  @Override
  public void end() {
    endOk(response);
  }

  @Override
  public void fail(GrpcStatus status, String message) {
    FlushBatching.beginAnswers(request.connection());
    try {
      endWith(response, status, message);
    } catch (IllegalStateException e) {
      log.debug("gRPC call {}: the status could not be sent: {}", fullMethodName, e.getMessage());
    }
  }
}
