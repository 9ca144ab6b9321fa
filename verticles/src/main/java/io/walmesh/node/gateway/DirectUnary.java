package io.walmesh.node.gateway;

import com.google.protobuf.MessageLite;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.WireFormat;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A unary gRPC call read straight off Vert.x's HTTP/2 request: the calls clients make most ({@code WriteToLog},
 * {@code WriteToLogBatch}, health checks) without vertx-grpc's machinery per call. vertx-grpc matches each call's
 * content type and {@code grpc-timeout} with regular expressions, passes the message through a queue of its own, and
 * writes an answer to the HTTP/2 stream twice (the message, then an empty end carrying the trailers), which Netty's
 * flow controller merges again. Here the five-byte gRPC framing is read by hand and the answer (headers, message and
 * trailers) is one write.
 *
 * <p>The rules are {@link UnaryCall}'s, with the same status messages: a message over the size limit is refused from
 * its length prefix ({@code RESOURCE_EXHAUSTED}) before its bytes are held; a gzip message inflates no further than
 * the limit; an unsupported {@code grpc-encoding} is {@code UNIMPLEMENTED}; a compressed message without
 * {@code grpc-encoding}, bytes that are not the request type, a stream that ends before a whole message, or a second
 * message are {@code INVALID_ARGUMENT}. The request is handed on when the client half-closes the stream, as a unary
 * call is complete only then. Only calls in gRPC's standard form come here ({@link DirectCall#standard}); {@link GrpcRoutes}
 * sends the others to vertx-grpc.
 */
final class DirectUnary<Req, Resp extends MessageLite> extends DirectCall implements Unary<Resp> {
  private static final Logger log = LoggerFactory.getLogger(DirectUnary.class);
  /** The bytes of the call so far; null before the first and after the call is answered. */
  private Buffer body;
  /** Whether {@link #body} is a buffer of this call's own, which later bytes may be appended to. */
  private boolean owned;
  private boolean answered;
  private int wireBytes = -1;

  private DirectUnary(HttpServerRequest request, String fullMethodName, long maxMessageBytes) {
    super(request, fullMethodName, maxMessageBytes);
  }

  /**
   * Reads the call's one request message with {@code decoder} and hands it to {@code handler} once the client has
   * half-closed the stream; answers the call itself when the client's bytes do not make one valid request.
   */
  static <Req, Resp extends MessageLite> void read(HttpServerRequest request, String fullMethodName,
                                                   GrpcMessageDecoder<Req> decoder, long maxMessageBytes,
                                                   BiConsumer<? super Unary<Resp>, Req> handler) {
    DirectUnary<Req, Resp> unary = new DirectUnary<>(request, fullMethodName, maxMessageBytes);
    request.exceptionHandler(e -> log.debug("gRPC call {} failed: {}", fullMethodName, e.toString()));
    request.handler(unary::received);
    request.endHandler(v -> unary.ended(decoder, handler));
  }

  private void received(Buffer chunk) {
    if (answered) {
      return; // refused already: what the client still sends is dropped
    }
    if (body == null) {
      body = chunk; // the usual case: the whole message in one chunk, held as it came
    } else {
      if (!owned) {
        body = Buffer.buffer(body.length() + chunk.length()).appendBuffer(body);
        owned = true;
      }
      body.appendBuffer(chunk);
    }
    if (body.length() >= PREFIX) {
      long length = body.getUnsignedInt(1);
      if (length > maxMessageBytes) {
        refuse(GrpcStatus.RESOURCE_EXHAUSTED, UnaryCall.overLimit("the request message", length, maxMessageBytes));
      } else if (body.length() > PREFIX + length) {
        refuse(GrpcStatus.INVALID_ARGUMENT, methodName() + " is unary: the call carried more than one request message");
      }
    }
  }

  private void ended(GrpcMessageDecoder<Req> decoder, BiConsumer<? super Unary<Resp>, Req> handler) {
    if (answered) {
      return;
    }
    Buffer bytes = body;
    body = null;
    if (bytes == null || bytes.length() < PREFIX || bytes.length() < PREFIX + bytes.getUnsignedInt(1)) {
      refuse(GrpcStatus.INVALID_ARGUMENT, "the request stream ended before a whole " + methodName()
          + " request message arrived (a truncated or missing message)");
      return;
    }
    boolean compressed = bytes.getByte(0) != 0;
    if (!compressed) {
      wireBytes = bytes.length() - PREFIX;
    }
    Req decoded = UnaryCall.decode(fullMethodName, request.response()::headers, encoding(compressed),
        WireFormat.PROTOBUF, bytes.slice(PREFIX, bytes.length()), decoder, maxMessageBytes, this::refuse);
    if (decoded != null) {
      handler.accept(this, decoded);
    }
  }

  private String methodName() {
    return fullMethodName.substring(fullMethodName.lastIndexOf('/') + 1);
  }

  @Override
  public long timeoutMs() {
    return timeoutMs(request.getHeader("grpc-timeout"));
  }

  /**
   * {@code grpc-timeout} in milliseconds (gRPC's form: 1 to 8 digits and a unit, H M S m u n), at least 1 when it is
   * set; 0 when absent or not in that form, as vertx-grpc reads it.
   */
  static long timeoutMs(String header) {
    if (header == null || header.length() < 2 || header.length() > 9) {
      return 0;
    }
    long value = 0;
    for (int i = 0; i < header.length() - 1; i++) {
      char c = header.charAt(i);
      if (c < '0' || c > '9') {
        return 0;
      }
      value = value * 10 + (c - '0');
    }
    long nanosPerUnit = switch (header.charAt(header.length() - 1)) {
      case 'H' -> 3_600_000_000_000L;
      case 'M' -> 60_000_000_000L;
      case 'S' -> 1_000_000_000L;
      case 'm' -> 1_000_000L;
      case 'u' -> 1_000L;
      case 'n' -> 1L;
      default -> -1L;
    };
    if (nanosPerUnit < 0) {
      return 0;
    }
    // 8 digits of hours is 3.6e20 ns: count in milliseconds for the large units, rounding the small ones up
    return nanosPerUnit >= 1_000_000L ? value * (nanosPerUnit / 1_000_000L)
        : value == 0 ? 0 : Math.max(1, (value * nanosPerUnit + 999_999) / 1_000_000);
  }

  @Override
  public int wireBytes() {
    return wireBytes;
  }

  @Override
  public boolean answered() {
    return answered;
  }

  @Override
  public void answer(Resp response) {
    if (answered) {
      return;
    }
    answered = true;
    Buffer framed = frame(response, fullMethodName);
    FlushBatching.beginAnswers(request.connection());
    HttpServerResponse http = request.response();
    try {
      http.headers().set(CONTENT_TYPE, GRPC);
      http.trailers().set(GRPC_STATUS, OK);
      http.end(framed); // headers, message and trailers in one write
    } catch (IllegalStateException e) { // the client reset the stream meanwhile
      log.debug("gRPC call {}: the answer could not be sent: {}", fullMethodName, e.getMessage());
    }
  }

  @Override
  public void refuse(GrpcStatus status, String message) {
    if (answered) {
      return;
    }
    answered = true;
    body = null;
    FlushBatching.beginAnswers(request.connection());
    HttpServerResponse http = request.response();
    try {
      endWith(http, status, message);
    } catch (IllegalStateException e) {
      log.debug("gRPC call {}: the status could not be sent: {}", fullMethodName, e.getMessage());
    }
  }
}
