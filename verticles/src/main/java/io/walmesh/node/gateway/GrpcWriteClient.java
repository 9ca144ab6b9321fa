package io.walmesh.node.gateway;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.common.GrpcStatus;
import io.walmesh.protocol.v1.WriteAheadLogGrpcClient;
import io.walmesh.protocol.v1.WriteToLogBatchRequest;
import io.walmesh.protocol.v1.WriteToLogBatchResponse;
import io.walmesh.protocol.v1.WriteToLogRequest;
import io.walmesh.protocol.v1.WriteToLogResponse;
import io.vertx.grpc.common.ServiceMethod;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A small gRPC client of {@code WriteToLog} that keeps the status and its message (the generated
 * stub drops the message), used by the CLI and the tests.
 */
public final class GrpcWriteClient implements AutoCloseable {

  /** A call's outcome: the gRPC status, its message, and the response when the status is OK. */
  public record Result(GrpcStatus status, String statusMessage, WriteToLogResponse response) {
    public boolean ok() {
      return status == GrpcStatus.OK;
    }
  }

  private final GrpcClient client;
  private final SocketAddress server;
  private String bearerToken;

  /** Identifies the caller with a bearer token on every call (for nodes with auth). */
  public GrpcWriteClient bearerToken(String token) {
    this.bearerToken = token == null || token.isBlank() ? null : token.trim();
    return this;
  }

  public GrpcWriteClient(Vertx vertx, String host, int port) {
    this(vertx, host, port, (io.vertx.core.http.HttpClientOptions) null);
  }

  /**
   * A plaintext client whose idle HTTP/2 connection stays open {@code keepAliveSecs} seconds (Vert.x's default client
   * closes it after 60 s idle, and the next call connects again).
   */
  public GrpcWriteClient(Vertx vertx, String host, int port, int keepAliveSecs) {
    this(vertx, host, port, new io.vertx.core.http.HttpClientOptions().setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2)
        .setHttp2ClearTextUpgrade(false).setHttp2KeepAliveTimeout(keepAliveSecs));
  }

  /** A client that speaks TLS when {@code tls} is not null. */
  public GrpcWriteClient(Vertx vertx, String host, int port, io.walmesh.node.tls.ClientTls tls) {
    this(vertx, host, port, tls == null ? null : new io.vertx.core.http.HttpClientOptions().setSsl(true).setUseAlpn(true)
        .setVerifyHost(true).setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2)
        .setTrustOptions(tls.vertxOptions().getTrustOptions()).setKeyCertOptions(tls.vertxOptions().getKeyCertOptions()));
  }

  /** A client over {@code transport}, or over vertx-grpc's default plaintext HTTP/2 transport when it is null. */
  private GrpcWriteClient(Vertx vertx, String host, int port, io.vertx.core.http.HttpClientOptions transport) {
    this.client = transport == null ? GrpcClient.client(vertx) : GrpcClient.builder(vertx)
        .with(new io.vertx.grpc.client.GrpcClientOptions()).with(transport).build();
    this.server = SocketAddress.inetSocketAddress(port, host);
  }

  public Future<Result> write(WriteToLogRequest request, long timeoutMs) {
    return call(WriteAheadLogGrpcClient.WriteToLog, request, timeoutMs, Result::new);
  }

  /** One WriteToLogBatch call; the result's response is null unless the call's status is OK. */
  public Future<BatchResult> writeBatch(WriteToLogBatchRequest batch, long timeoutMs) {
    return call(WriteAheadLogGrpcClient.WriteToLogBatch, batch, timeoutMs, BatchResult::new);
  }

  /** A batch call's outcome. */
  public record BatchResult(GrpcStatus status, String statusMessage, WriteToLogBatchResponse response) {
  }

  /** Makes a unary call and keeps its status, status message and (when OK) its response. */
  private <Req, Resp, R> Future<R> call(ServiceMethod<Resp, Req> method, Req request, long timeoutMs,
                                        Outcome<Resp, R> outcome) {
    return client.request(server, method).compose(call -> {
      call.timeout(timeoutMs, TimeUnit.MILLISECONDS);
      if (bearerToken != null) {
        call.headers().set("authorization", "Bearer " + bearerToken);
      }
      call.end(request);
      return call.response().compose(response -> {
        List<Resp> body = new ArrayList<>(1);
        response.handler(body::add);
        return response.end().transform(ignored -> Future.succeededFuture(outcome.of(response.status(),
            response.statusMessage(), body.isEmpty() ? null : body.get(0))));
      });
    });
  }

  @FunctionalInterface
  private interface Outcome<Resp, R> {
    R of(GrpcStatus status, String statusMessage, Resp response);
  }

  @Override
  public void close() {
    client.close();
  }
}
