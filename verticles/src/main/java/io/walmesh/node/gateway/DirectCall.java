package io.walmesh.node.gateway;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;

/**
 * What {@link DirectUnary} and {@link DirectStream} share: a gRPC call in the standard form, read straight off Vert.x's
 * HTTP/2 request, its metadata and connection, and how a message's compressed flag names its encoding.
 */
abstract class DirectCall {
  final HttpServerRequest request;
  final String fullMethodName;
  final long maxMessageBytes;

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
