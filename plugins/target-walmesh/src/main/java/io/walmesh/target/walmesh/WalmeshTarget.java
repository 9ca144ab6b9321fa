package io.walmesh.target.walmesh;

import com.google.protobuf.ByteString;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.common.GrpcStatus;
import io.walmesh.protocol.v1.Lifecycle;
import io.walmesh.protocol.v1.Trilean;
import io.walmesh.protocol.v1.WriteAheadLogGrpcClient;
import io.walmesh.protocol.v1.WriteToLogRequest;
import io.walmesh.protocol.v1.WriteToLogResponse;
import io.walmesh.spi.DestinationPolicy;
import io.walmesh.spi.target.Delivery;
import io.walmesh.spi.target.DeliveryException;
import io.walmesh.spi.target.Target;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Writes each delivery to the remote namespace with {@code WriteToLog}, and succeeds only when the
 * remote answers {@code SUCCESS} (the entry is durable there). The write keeps the entry's key,
 * payload, headers and <em>original write time</em> (so the remote's versioned targets order it
 * among writes from other regions by when it happened), and carries the idempotency key
 * {@code <namespace>/<entry id>}: a redelivery within the remote namespace's dedupe window is
 * stored once. An invalid request (INVALID_ARGUMENT, e.g. a payload over the remote's limit) goes
 * to the DLQ; anything else, the remote being down included, is retried with backoff, and the
 * remote region catches up when it is back.
 */
final class WalmeshTarget implements Target {
  private final GrpcClient client;
  private final String name;
  private final WalmeshTargetOptions options;
  private final Vertx vertx;
  private final DestinationPolicy policy;
  private int next;

  WalmeshTarget(Vertx vertx, String name, WalmeshTargetOptions options, DestinationPolicy policy) {
    this.vertx = vertx;
    this.policy = policy;
    // bounds connecting too, so a region that does not answer SYNs costs one timeout, not the OS's
    HttpClientOptions http = new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
        .setHttp2ClearTextUpgrade(false).setConnectTimeout((int) Math.min(Integer.MAX_VALUE, options.timeoutMs));
    if (options.tls) {
      http.setSsl(true).setUseAlpn(true).setVerifyHost(true);
      if (options.caPem != null) {
        http.setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(options.caPem)));
      }
      if (options.clientCertPem != null) {
        http.setKeyCertOptions(new PemKeyCertOptions().addCertValue(Buffer.buffer(options.clientCertPem))
            .addKeyValue(Buffer.buffer(options.privateKeyPem)));
      }
    }
    this.client = GrpcClient.client(vertx, http);
    this.name = name;
    this.options = options;
  }

  @Override
  public Future<Void> deliver(Delivery delivery) {
    SocketAddress endpoint = options.endpoints.get(Math.floorMod(next++, options.endpoints.size()));
    String namespace = options.namespace != null ? options.namespace : delivery.namespace();
    WriteToLogRequest.Builder request = WriteToLogRequest.newBuilder()
        .setNamespace(namespace)
        .setPayload(ByteString.copyFrom(delivery.payload().getBytes()))
        .setKey(delivery.key())
        .setIdempotencyKey(delivery.namespace() + "/" + delivery.entryId())
        .setLifecycle(Lifecycle.newBuilder().setWriteTimeMs(delivery.writeTimeMs()))
        .putAllHeaders(delivery.headers());
    if (!options.target.isEmpty()) {
      request.getTargetBuilder().setName(options.target);
    }
    String where = "walmesh target " + name + " (namespace " + namespace + " at " + endpoint.host() + ":"
        + endpoint.port() + ")";
    // the call goes to the address that was checked against the deny-list and allowed-destinations
    return policy.resolve(vertx, endpoint.host(), options.allowed, "walmesh target " + name)
        .compose(address -> client.request(checked(endpoint, address), WriteAheadLogGrpcClient.WriteToLog))
        .timeout(options.timeoutMs, TimeUnit.MILLISECONDS)
        .compose(call -> {
      call.timeout(options.timeoutMs, TimeUnit.MILLISECONDS);
      if (options.token != null) {
        call.headers().set("authorization", "Bearer " + options.token);
      }
      call.end(request.build());
      return call.response().compose(response -> {
        List<WriteToLogResponse> body = new ArrayList<>(1);
        response.handler(body::add);
        return response.end().transform(ignored -> answer(where, response.status(), response.statusMessage(),
            body.isEmpty() ? null : body.get(0)));
      });
    }).recover(e -> Future.failedFuture(e instanceof DeliveryException ? e
        : DeliveryException.retryable(where + " unreachable: " + e.getMessage())));
  }

  /**
   * The checked address, keeping the endpoint's host name: TLS verifies the remote's certificate
   * against the name in the config (and sends it as SNI), while the connection goes to the address
   * that passed the deny-list.
   */
  private static SocketAddress checked(SocketAddress endpoint, java.net.InetAddress address) {
    try {
      return SocketAddress.inetSocketAddress(new java.net.InetSocketAddress(
          java.net.InetAddress.getByAddress(endpoint.host(), address.getAddress()), endpoint.port()));
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException(e); // getByAddress only fails on a malformed address length
    }
  }

  private static Future<Void> answer(String where, GrpcStatus status, String message, WriteToLogResponse response) {
    if (status == GrpcStatus.OK && response != null && response.getDurable() == Trilean.SUCCESS) {
      return Future.succeededFuture();
    }
    if (status == GrpcStatus.OK) {
      return Future.failedFuture(DeliveryException.retryable(where + " answered "
          + (response == null ? "nothing" : response.getDurable() + ": " + response.getMessage())));
    }
    String problem = where + " refused: " + status.name() + (message == null ? "" : " " + message);
    return Future.failedFuture(status == GrpcStatus.INVALID_ARGUMENT
        ? DeliveryException.permanent(problem) : DeliveryException.retryable(problem));
  }

  @Override
  public Future<Void> close() {
    return client.close();
  }
}
