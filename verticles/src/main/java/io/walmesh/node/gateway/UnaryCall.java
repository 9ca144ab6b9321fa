package io.walmesh.node.gateway;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.grpc.common.GrpcMessage;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.MessageSizeOverflowException;
import io.vertx.grpc.common.WireFormat;
import io.vertx.grpc.server.GrpcServerRequest;
import io.walmesh.node.internal.Text;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.function.BiConsumer;
import java.util.zip.GZIPInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One unary gRPC call read by vertx-grpc, the careful way: the calls that are not in gRPC's standard HTTP/2 form
 * (gRPC-Web, JSON), which {@link GrpcRoutes} hands to vertx-grpc; {@link DirectUnary} reads the others by the same
 * rules. Every call gets a gRPC status, whatever the client sent: a message over the size limit
 * ({@code RESOURCE_EXHAUSTED}, at once, from the length prefix), a gzip message that inflates past the limit
 * (inflation stops at the limit), an unsupported {@code grpc-encoding} ({@code UNIMPLEMENTED}), a compressed message
 * without {@code grpc-encoding}, bytes that are not the request type, a stream that ends before a whole message, or a
 * second message ({@code INVALID_ARGUMENT}). Status messages are percent-encoded as the gRPC spec says, so grpc-java,
 * grpc-js and grpcurl all show them as written.
 */
final class UnaryCall<Req, Resp> implements Unary<Resp> {
  private static final Logger log = LoggerFactory.getLogger(UnaryCall.class);
  /** Set by the gateway on calls that name no {@code grpc-encoding}, so a compressed message among them is told apart. */
  static final String NO_ENCODING = "x-walmesh-no-grpc-encoding";
  /** The longest status message sent; longer ones are cut (some clients drop a connection on a huge grpc-message). */
  static final int MAX_STATUS_MESSAGE_CHARS = 1024;

  private final GrpcServerRequest<Req, Resp> call;
  private final long maxMessageBytes;
  private boolean received;
  private boolean answered;
  private int wireBytes = -1;

  private UnaryCall(GrpcServerRequest<Req, Resp> call, long maxMessageBytes) {
    this.call = call;
    this.maxMessageBytes = maxMessageBytes;
  }

  /**
   * Reads the call's one request message with {@code decoder} and hands it to {@code handler};
   * answers the call itself when the client's bytes do not make one valid request.
   */
  static <Req, Resp> UnaryCall<Req, Resp> read(GrpcServerRequest<Req, Resp> call, GrpcMessageDecoder<Req> decoder,
                                               long maxMessageBytes, BiConsumer<? super UnaryCall<Req, Resp>, Req> handler) {
    UnaryCall<Req, Resp> unary = new UnaryCall<>(call, maxMessageBytes);
    call.exceptionHandler(e -> log.debug("gRPC call {} failed: {}", call.fullMethodName(), e.toString()));
    call.invalidMessageHandler(invalid -> unary.refuse(GrpcStatus.RESOURCE_EXHAUSTED, overLimit("the request message",
        invalid, maxMessageBytes)));
    call.messageHandler(message -> {
      if (unary.answered) {
        return;
      }
      if (unary.received) {
        unary.refuse(GrpcStatus.INVALID_ARGUMENT, call.methodName() + " is unary: the call carried more than one request message");
        return;
      }
      unary.received = true;
      unary.wireBytes = wireBytes(message);
      Req request = unary.decode(message, decoder);
      if (request != null) {
        handler.accept(unary, request);
      }
    });
    call.endHandler(v -> {
      if (!unary.received && !unary.answered) {
        unary.refuse(GrpcStatus.INVALID_ARGUMENT, "the request stream ended before a whole " + call.methodName()
            + " request message arrived (a truncated or missing message)");
      }
    });
    return unary;
  }

  /** Why a message the library refused is refused: its size against the node's limit. */
  static String overLimit(String what, Object invalid, long maxMessageBytes) {
    return overLimit(what, invalid instanceof MessageSizeOverflowException overflow ? overflow.messageSize() : -1,
        maxMessageBytes);
  }

  /** Why a message of {@code size} bytes (-1: unknown) is refused. */
  static String overLimit(String what, long size, long maxMessageBytes) {
    return what + " is " + (size < 0 ? "too large" : size + " bytes") + ", over this node's limit of " + maxMessageBytes
        + " bytes per message";
  }

  private Req decode(GrpcMessage message, GrpcMessageDecoder<Req> decoder) {
    return decode(call, message, decoder, maxMessageBytes, this::refuse);
  }

  /**
   * Decodes one request message of a call (identity or gzip, gzip inflated no further than
   * {@code maxMessageBytes}); null after {@code refuse} was told why the bytes are not one.
   */
  static <T> T decode(GrpcServerRequest<?, ?> call, GrpcMessage message, GrpcMessageDecoder<T> decoder, long maxMessageBytes,
                      BiConsumer<GrpcStatus, String> refuse) {
    return decode(call.fullMethodName(), () -> call.response().headers(), message.encoding(), message.format(), message.payload(),
        decoder, maxMessageBytes, refuse);
  }

  /**
   * Decodes one request message of call {@code fullMethodName}: {@code payload} in {@code encoding} ({@code identity},
   * {@code gzip}, or {@link #NO_ENCODING} for a compressed message of a call that named none). An unsupported encoding
   * also sets {@code grpc-accept-encoding} in {@code responseHeaders} (asked for only then: a stream's are sent early).
   */
  static <T> T decode(String fullMethodName, java.util.function.Supplier<MultiMap> responseHeaders, String encoding,
                      WireFormat format, Buffer payload, GrpcMessageDecoder<T> decoder, long maxMessageBytes,
                      BiConsumer<GrpcStatus, String> refuse) {
    switch (encoding) {
      case "identity":
        break;
      case "gzip":
        try {
          payload = gunzip(payload, maxMessageBytes);
        } catch (TooLarge e) {
          refuse.accept(GrpcStatus.RESOURCE_EXHAUSTED, "the gzip request message inflates to more than " + maxMessageBytes
              + " bytes, this node's limit per message");
          return null;
        } catch (IOException e) {
          refuse.accept(GrpcStatus.INVALID_ARGUMENT, "the request message is not valid gzip: "
              + Text.truncate(String.valueOf(e.getMessage()), 100));
          return null;
        }
        break;
      case NO_ENCODING:
        refuse.accept(GrpcStatus.INVALID_ARGUMENT, "the request message has the compressed flag set but the call has no grpc-encoding header");
        return null;
      default:
        responseHeaders.get().set("grpc-accept-encoding", "gzip,identity");
        refuse.accept(GrpcStatus.UNIMPLEMENTED, "grpc-encoding " + Text.quote(encoding) + " is not supported; use gzip or identity");
        return null;
    }
    try {
      return decoder.decode(GrpcMessage.message("identity", format, payload));
    } catch (Throwable e) { // CodecException, and StackOverflowError on absurdly deep input
      refuse.accept(GrpcStatus.INVALID_ARGUMENT, "the request is not a valid " + fullMethodName + " request message: "
          + Text.truncate(rootMessage(e), 100));
      return null;
    }
  }

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
  public long timeoutMs() {
    return call.timeout();
  }

  @Override
  public int wireBytes() {
    return wireBytes;
  }

  /** {@link #wireBytes()} of one message. */
  static int wireBytes(GrpcMessage message) {
    return "identity".equals(message.encoding()) ? message.payload().length() : -1;
  }

  /** What a request counts against the node's budget: its {@link #wireBytes}, or its decoded size when it came compressed. */
  static long requestBytes(long wireBytes, com.google.protobuf.MessageLite decoded) {
    return wireBytes >= 0 ? wireBytes : decoded.getSerializedSize();
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
    FlushBatching.beginAnswers(call.connection());
    try {
      call.response().send(response);
    } catch (IllegalStateException e) { // the client reset the stream meanwhile
      log.debug("gRPC call {}: the answer could not be sent: {}", call.fullMethodName(), e.getMessage());
    }
  }

  @Override
  public void refuse(GrpcStatus status, String message) {
    if (answered) {
      return;
    }
    answered = true;
    end(call, status, message);
  }

  /** Ends a call with a status and a message, cut and encoded as the gRPC spec says. */
  static void end(GrpcServerRequest<?, ?> call, GrpcStatus status, String message) {
    FlushBatching.beginAnswers(call.connection());
    try {
      // Set as a trailer ourselves: the library's own encoding (form-URL style) shows as %2C, %3B... in grpc-js
      call.response().status(status);
      call.response().trailers().set("grpc-message", percentEncode(Text.truncate(message, MAX_STATUS_MESSAGE_CHARS)));
      call.response().end();
    } catch (IllegalStateException e) {
      log.debug("gRPC call {}: the status could not be sent: {}", call.fullMethodName(), e.getMessage());
    }
  }

  /** The gRPC spec's encoding of grpc-message: bytes outside 0x20..0x7E and '%' become %XX (of the UTF-8 bytes). */
  static String percentEncode(String message) {
    byte[] utf8 = message.getBytes(StandardCharsets.UTF_8);
    StringBuilder out = new StringBuilder(utf8.length + 16);
    for (byte b : utf8) {
      int c = b & 0xff;
      if (c >= 0x20 && c <= 0x7e && c != '%') {
        out.append((char) c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return out.toString();
  }

  private static final class TooLarge extends IOException {
    TooLarge() {
      super(null, null);
    }
  }

  /** Inflates gzip bytes, stopping as soon as the output passes {@code limit}. */
  static Buffer gunzip(Buffer compressed, long limit) throws IOException {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(compressed.getBytes()), 8192)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(limit, compressed.length() * 4L + 64));
      byte[] chunk = new byte[8192];
      long total = 0;
      int n;
      while ((n = in.read(chunk)) > 0) {
        total += n;
        if (total > limit) {
          throw new TooLarge();
        }
        out.write(chunk, 0, n);
      }
      return Buffer.buffer(out.toByteArray());
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root instanceof StackOverflowError ? "nested too deeply" : String.valueOf(root.getMessage());
  }
}
