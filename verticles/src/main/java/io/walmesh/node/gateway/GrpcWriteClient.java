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

  public GrpcWriteClient(Vertx vertx, String host, int port) {
    this.client = GrpcClient.client(vertx);
    this.server = SocketAddress.inetSocketAddress(port, host);
  }

  public Future<Result> write(WriteToLogRequest request, long timeoutMs) {
    return client.request(server, WriteAheadLogGrpcClient.WriteToLog).compose(call -> {
      call.timeout(timeoutMs, TimeUnit.MILLISECONDS);
      call.end(request);
      return call.response().compose(response -> {
        WriteToLogResponse[] body = new WriteToLogResponse[1];
        response.handler(message -> body[0] = message);
        return response.end().map(v -> new Result(response.status(), response.statusMessage(), body[0]))
            .recover(e -> Future.succeededFuture(new Result(response.status(), response.statusMessage(), null)));
      });
    });
  }

  /** One WriteToLogBatch call; the result's response is null unless the call's status is OK. */
  public Future<BatchResult> writeBatch(WriteToLogBatchRequest batch, long timeoutMs) {
    return client.request(server, WriteAheadLogGrpcClient.WriteToLogBatch).compose(call -> {
      call.timeout(timeoutMs, TimeUnit.MILLISECONDS);
      call.end(batch);
      return call.response().compose(response -> {
        WriteToLogBatchResponse[] body = new WriteToLogBatchResponse[1];
        response.handler(message -> body[0] = message);
        return response.end().map(v -> new BatchResult(response.status(), response.statusMessage(), body[0]))
            .recover(e -> Future.succeededFuture(new BatchResult(response.status(), response.statusMessage(), null)));
      });
    });
  }

  /** A batch call's outcome. */
  public record BatchResult(GrpcStatus status, String statusMessage, WriteToLogBatchResponse response) {
  }

  @Override
  public void close() {
    client.close();
  }
}
