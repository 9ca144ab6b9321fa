package io.walmesh.node.gateway;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.grpc.common.GrpcStatus;
import io.walmesh.node.internal.Text;
import java.io.IOException;

/**
 * What {@link DirectUnary} and {@link DirectStream} share: a gRPC call in the standard form, read straight off Vert.x's
 * HTTP/2 request, its metadata and connection, how a message's compressed flag names its encoding, and gRPC's wire
 * form of messages and statuses on the HTTP/2 response.
 */
abstract class DirectCall {
  static final CharSequence CONTENT_TYPE = HttpHeaders.createOptimized("content-type");
  static final CharSequence GRPC = HttpHeaders.createOptimized("application/grpc");
  static final CharSequence GRPC_STATUS = HttpHeaders.createOptimized("grpc-status");
  static final CharSequence GRPC_MESSAGE = HttpHeaders.createOptimized("grpc-message");
  static final CharSequence OK = HttpHeaders.createOptimized("0");
  /** gRPC's message prefix: a compressed flag byte and a four-byte big-endian length. */
  static final int PREFIX = 5;

  final HttpServerRequest request;
  final String fullMethodName;
  final long maxMessageBytes;

  /** Whether a request is a gRPC call in the standard form: HTTP/2, POST, {@code application/grpc[+proto]}. */
  static boolean standard(HttpServerRequest request) {
    if (request.version() != HttpVersion.HTTP_2 || request.method() != HttpMethod.POST) {
      return false;
    }
    String type = request.getHeader(CONTENT_TYPE);
    return "application/grpc".equals(type) || "application/grpc+proto".equals(type);
  }

  /** One message in gRPC's framing: the compressed flag (0), the length, the message. */
  static Buffer frame(MessageLite message, String fullMethodName) {
    int size = message.getSerializedSize();
    byte[] framed = new byte[PREFIX + size];
    framed[1] = (byte) (size >>> 24);
    framed[2] = (byte) (size >>> 16);
    framed[3] = (byte) (size >>> 8);
    framed[4] = (byte) size;
    try {
      CodedOutputStream out = CodedOutputStream.newInstance(framed, PREFIX, size);
      message.writeTo(out);
      out.checkNoSpaceLeft();
    } catch (IOException e) { // an array of the exact size: a bug in the message, not the client
      throw new IllegalStateException("encoding a " + fullMethodName + " message failed", e);
    }
    return Buffer.buffer(framed);
  }

  /**
   * Ends {@code http} with a non-OK status: in the one HEADERS frame that ends the stream when nothing was sent yet
   * (trailers only), else in the trailers.
   */
  static void endWith(HttpServerResponse http, GrpcStatus status, String message) {
    MultiMap where = http.headWritten() ? http.trailers() : http.headers().set(CONTENT_TYPE, GRPC);
    where.set(GRPC_STATUS, String.valueOf(status.code))
        .set(GRPC_MESSAGE, UnaryCall.percentEncode(Text.truncate(message, UnaryCall.MAX_STATUS_MESSAGE_CHARS)));
    http.end();
  }

  /** Ends {@code http} with status OK (after its messages); sends the headers first when there were none. */
  static void endOk(HttpServerResponse http) {
    if (!http.headWritten()) {
      http.headers().set(CONTENT_TYPE, GRPC);
    }
    http.trailers().set(GRPC_STATUS, OK);
    http.end();
  }

  /** Writes one message to {@code http}, the headers with the first. */
  static void write(HttpServerResponse http, Buffer framed) {
    if (!http.headWritten()) {
      http.headers().set(CONTENT_TYPE, GRPC);
    }
    http.write(framed);
  }

  DirectCall(HttpServerRequest request, String fullMethodName, long maxMessageBytes) {
    this.request = request;
    this.fullMethodName = fullMethodName;
    this.maxMessageBytes = maxMessageBytes;
  }

  public String fullMethodName() {
    return fullMethodName;
  }

  public MultiMap headers() {
    return request.headers();
  }

  public HttpConnection connection() {
    return request.connection();
  }

  /**
   * The encoding of a message: {@code identity} without the compressed flag; with it, the call's
   * {@code grpc-encoding}, or {@link UnaryCall#NO_ENCODING} when the call named none.
   */
  String encoding(boolean compressed) {
    if (!compressed) {
      return "identity";
    }
    String named = request.getHeader("grpc-encoding");
    return named == null ? UnaryCall.NO_ENCODING : named;
  }
}
