package io.walmesh.node.gateway;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpConnection;
import io.vertx.grpc.common.GrpcStatus;

/**
 * A unary gRPC call as the gateway's handlers see it, however it was read: {@link DirectUnary} (HTTP/2 in gRPC's
 * standard form, the calls clients make) or {@link UnaryCall} (vertx-grpc, for gRPC-Web and the other wire formats).
 * {@link GrpcRoutes} picks one per call. Confined to the connection's event loop.
 */
interface Unary<Resp> {
  /** {@code package.Service/Method}, as in audit lines and status messages. */
  String fullMethodName();

  /** The call's metadata (HTTP/2 headers): {@code authorization}, {@code traceparent}... */
  MultiMap headers();

  /** The connection the call came on (its TLS session names a client certificate). */
  HttpConnection connection();

  /** The client's deadline from {@code grpc-timeout}, in milliseconds; 0 when it set none. */
  long timeoutMs();

  /**
   * The request message's size as it came, when it came uncompressed; -1 for a compressed one (whose decoded size is
   * larger). The gateway counts requests against the node's budget of request bytes with it, instead of asking
   * protobuf to measure a message it just parsed (which measures every string as UTF-8 again: 4 % of the node's CPU
   * under batched writes).
   */
  int wireBytes();

  /** Whether the call was already answered (a refusal, or {@link #answer}). */
  boolean answered();

  /** Sends the response message (status OK); does nothing once the call is answered. */
  void answer(Resp response);

  /** Ends the call with a non-OK status and a message, cut and encoded as the gRPC spec says; once only. */
  void refuse(GrpcStatus status, String message);
}
