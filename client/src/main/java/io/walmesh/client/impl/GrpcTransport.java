package io.walmesh.client.impl;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.walmesh.protocol.v1.WriteAheadLogGrpcClient;
import io.walmesh.protocol.v1.WriteToLogBatchRequest;
import io.walmesh.protocol.v1.WriteToLogBatchResponse;
import io.walmesh.protocol.v1.WriteToLogBatchResult;
import io.walmesh.protocol.v1.WriteToLogRequest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code WriteToLog} and {@code WriteToLogBatch} over gRPC (HTTP/2, plaintext or TLS) to one gateway. Each
 * call carries its time left as the gRPC deadline, so the gateway answers {@code UNKNOWN} before
 * it; a local timer cancels the call (RST_STREAM) if no answer comes by then, connecting included.
 */
public final class GrpcTransport implements Transport {
  /** The most requests the gateway takes in one {@code WriteToLogBatch} call. */
  public static final int MAX_BATCH = 1000;
  /** A batch call's requests stay under this many bytes; the gateway takes messages up to 17 MiB. */
  static final int MAX_BATCH_BYTES = 16 << 20;
  /** Room for the largest batch answer (one message per request). */
  private static final long MAX_RESPONSE_BYTES = 17 << 20;

  private final Vertx vertx;
  private final SocketAddress server;
  private final GrpcClient client;
  private final String authorization;

  /** The gRPC client (to open other calls on the same connections, e.g. {@link StreamTransport}). */
  GrpcClient client() {
    return client;
  }

  /** {@code authorization} metadata for every call, or null. */
  String authorization() {
    return authorization;
  }

  SocketAddress server() {
    return server;
  }

  /** Writes to the gateway at {@code server} in plaintext, with a gRPC client of its own on {@code vertx}. */
  public GrpcTransport(Vertx vertx, SocketAddress server) {
    this(vertx, server, null, null);
  }

  /**
   * Writes to the gateway at {@code server}: over TLS when {@code tls} is not null (its trust and
   * key/certificate options; the gateway's certificate must name the host), and with
   * {@code authorization: Bearer <token>} on every call when {@code bearerToken} is not null.
   */
  public GrpcTransport(Vertx vertx, SocketAddress server, ClientSSLOptions tls, String bearerToken) {
    this.vertx = vertx;
    this.server = server;
    this.authorization = bearerToken == null ? null : "Bearer " + bearerToken;
    HttpClientOptions http = new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false);
    if (tls != null) {
      http.setSsl(true).setUseAlpn(true).setVerifyHost(true).setTrustOptions(tls.getTrustOptions())
          .setKeyCertOptions(tls.getKeyCertOptions());
    }
    this.client = GrpcClient.builder(vertx).with(new GrpcClientOptions().setMaxMessageSize(MAX_RESPONSE_BYTES)).with(http).build();
  }

  @Override
  public Future<Attempt> write(WriteToLogRequest request, long timeoutMs) {
    return unary(WriteAheadLogGrpcClient.WriteToLog, request, timeoutMs).map(reply -> {
      if (reply.failure() != null) {
        return reply.failure();
      }
      if (reply.status() != GrpcStatus.OK) {
        return Attempt.ofStatus(reply.status(), reply.statusMessage());
      }
      return reply.body() == null ? Attempt.ofStatus(GrpcStatus.UNKNOWN, "the gateway answered OK without a response")
          : Attempt.answered(reply.body());
    });
  }

  @Override
  public boolean batches() {
    return true;
  }

  @Override
  public Future<List<Attempt>> writeBatch(List<WriteToLogRequest> requests, long timeoutMs) {
    List<Future<List<Attempt>>> calls = new ArrayList<>();
    for (List<WriteToLogRequest> chunk : chunks(requests)) {
      calls.add(batchCall(chunk, timeoutMs));
    }
    return Future.join(calls).map(done -> {
      List<Attempt> attempts = new ArrayList<>(requests.size());
      calls.forEach(call -> attempts.addAll(call.result()));
      return attempts;
    });
  }

  private Future<List<Attempt>> batchCall(List<WriteToLogRequest> chunk, long timeoutMs) {
    WriteToLogBatchRequest batch = WriteToLogBatchRequest.newBuilder().addAllRequests(chunk).build();
    return unary(WriteAheadLogGrpcClient.WriteToLogBatch, batch, timeoutMs).map(reply -> {
      if (reply.failure() != null) {
        return Collections.nCopies(chunk.size(), reply.failure());
      }
      if (reply.status() != GrpcStatus.OK) {
        return Collections.nCopies(chunk.size(), Attempt.ofStatus(reply.status(), reply.statusMessage()));
      }
      WriteToLogBatchResponse response = reply.body();
      if (response == null || response.getResultsCount() != chunk.size()) {
        return Collections.nCopies(chunk.size(), Attempt.ofStatus(GrpcStatus.UNKNOWN, "the gateway answered "
            + (response == null ? "no" : response.getResultsCount()) + " results for " + chunk.size() + " requests"));
      }
      List<Attempt> attempts = new ArrayList<>(chunk.size());
      for (WriteToLogBatchResult result : response.getResultsList()) {
        attempts.add(result.getStatusCode() == GrpcStatus.OK.code ? Attempt.answered(result.getResponse())
            : Attempt.ofStatus(statusOf(result.getStatusCode()), result.getStatusMessage()));
      }
      return attempts;
    });
  }

  /** Splits requests into calls the gateway takes: at most {@link #MAX_BATCH} requests and {@link #MAX_BATCH_BYTES}. */
  static List<List<WriteToLogRequest>> chunks(List<WriteToLogRequest> requests) {
    List<List<WriteToLogRequest>> chunks = new ArrayList<>();
    List<WriteToLogRequest> chunk = new ArrayList<>();
    long bytes = 0;
    for (WriteToLogRequest request : requests) {
      long size = request.getSerializedSize() + 6L; // field tag and length prefix
      if (!chunk.isEmpty() && (chunk.size() == MAX_BATCH || bytes + size > MAX_BATCH_BYTES)) {
        chunks.add(chunk);
        chunk = new ArrayList<>();
        bytes = 0;
      }
      chunk.add(request);
      bytes += size;
    }
    if (!chunk.isEmpty()) {
      chunks.add(chunk);
    }
    return chunks;
  }

  static GrpcStatus statusOf(int code) {
    for (GrpcStatus status : GrpcStatus.values()) {
      if (status.code == code) {
        return status;
      }
    }
    return GrpcStatus.UNKNOWN;
  }

  /** A unary call's end: a status with its message and body, or a failure (unreachable, deadline). */
  private record Reply<T>(GrpcStatus status, String statusMessage, T body, Attempt failure) {
    static <T> Reply<T> failed(Attempt failure) {
      return new Reply<>(null, null, null, failure);
    }
  }

  /** One unary call that completes by {@code timeoutMs}, whatever happens; never fails. */
  private <Req, Resp> Future<Reply<Resp>> unary(ServiceMethod<Resp, Req> method, Req request, long timeoutMs) {
    Promise<Reply<Resp>> promise = Promise.promise();
    // Touched on this context only: the client's callbacks and the timer run here.
    List<GrpcClientRequest<Req, Resp>> call = new ArrayList<>(1);
    boolean[] sent = new boolean[1];
    long timer = vertx.setTimer(Math.max(1, timeoutMs), id -> {
      if (promise.tryComplete(Reply.failed(Attempt.deadline(timeoutMs, sent[0]))) && !call.isEmpty()) {
        call.get(0).cancel();
      }
    });
    client.request(server, method).onComplete(requested -> {
      if (requested.failed()) {
        vertx.cancelTimer(timer);
        promise.tryComplete(Reply.failed(Attempt.unreachable("cannot reach the walmesh gateway at " + server + ": "
            + requested.cause().getMessage(), requested.cause(), false)));
        return;
      }
      GrpcClientRequest<Req, Resp> request0 = requested.result();
      if (promise.future().isComplete()) { // the deadline passed while connecting
        request0.cancel();
        return;
      }
      call.add(request0);
      request0.timeout(Math.max(1, timeoutMs), TimeUnit.MILLISECONDS);
      if (authorization != null) {
        request0.headers().set("authorization", authorization);
      }
      sent[0] = true;
      request0.end(request);
      request0.response().onComplete(answered -> {
        if (answered.failed()) {
          vertx.cancelTimer(timer);
          promise.tryComplete(Reply.failed(Attempt.unreachable("the call to the walmesh gateway at " + server
              + " broke: " + answered.cause().getMessage(), answered.cause(), true)));
          return;
        }
        var response = answered.result();
        List<Resp> body = new ArrayList<>(1);
        response.handler(body::add);
        response.end().onComplete(ended -> {
          vertx.cancelTimer(timer);
          if (response.status() == null) {
            Throwable cause = ended.cause();
            promise.tryComplete(Reply.failed(Attempt.unreachable("the call to the walmesh gateway at " + server
                + " broke before its status: " + (cause == null ? "no status" : cause.getMessage()), cause, true)));
          } else {
            promise.tryComplete(new Reply<>(response.status(), response.statusMessage(),
                body.isEmpty() ? null : body.get(0), null));
          }
        });
      });
    });
    return promise.future();
  }

  @Override
  public Future<Void> close() {
    return client.close();
  }

  @Override
  public String toString() {
    return "gRPC " + server;
  }
}
