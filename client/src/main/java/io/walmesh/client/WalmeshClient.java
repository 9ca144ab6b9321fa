package io.walmesh.client;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.common.GrpcStatus;
import io.walmesh.client.impl.EventBusTransport;
import io.walmesh.client.impl.GrpcTransport;
import io.walmesh.client.impl.RetryingCall;
import io.walmesh.client.impl.Transport;
import io.walmesh.protocol.Addresses;
import io.walmesh.protocol.v1.WriteToLogRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Writes entries to walmesh ({@code WriteToLog}, {@code WriteToLogBatch}) over gRPC or the Vert.x
 * event bus, within a deadline, retrying only where a retry is safe.
 *
 * <pre>{@code
 * WalmeshClient client = WalmeshClient.grpc(vertx, "127.0.0.1", 9090)
 *     .deadline(Duration.ofSeconds(5))
 *     .build();
 * client.write(WriteToLogRequest.newBuilder().setNamespace("orders").setPayload(bytes).build())
 *     .onSuccess(result -> log.info("stored as {}", result.entryId()))
 *     .onFailure(e -> ...);  // a WriteException: branch on outcome() and durable()
 * }</pre>
 *
 * <p><b>Results.</b> {@link #write} succeeds if and only if the entry is durably stored; every
 * other end is a {@link WriteException} carrying a {@link WriteResult} that says whether anything
 * may be stored ({@link Durability}), how the last attempt ended ({@link Outcome}), its gRPC
 * status and message, the idempotency key and the attempts. {@link #writeBatch} answers one
 * {@link WriteResult} per request, in order, whatever each says.
 *
 * <p><b>Deadlines.</b> The deadline covers the whole call, every attempt and wait included; each
 * attempt gets the time left (as its gRPC deadline, or the event-bus send timeout), and no
 * retry starts unless at least 20 ms are left after its backoff.
 *
 * <p><b>Retries.</b> Before the first attempt, a request without an idempotency key gets a random
 * one (a UUID) unless {@link WalmeshClientOptions#autoIdempotencyKeys(boolean) autoIdempotencyKeys}
 * is off, so every retry carries the same key and the node stores the entry at most once (within
 * the namespace's {@code dedupe-window-ms}). Retried, with the policy's backoff and while the
 * deadline allows:
 * <ul>
 *   <li>the gateway could not be reached (connection refused, nothing at the event-bus address)
 *   or the exchange broke;</li>
 *   <li>{@code UNAVAILABLE} (no node owns the namespace yet) and {@code RESOURCE_EXHAUSTED} (the
 *   namespace sheds load);</li>
 *   <li>{@code durable = UNKNOWN}, and {@code CANCELLED}, {@code ABORTED} or
 *   {@code DEADLINE_EXCEEDED} answered by the node;</li>
 *   <li>{@code durable = FAILED}: the node certainly stored nothing, for transient reasons (the
 *   namespace was being reconfigured, a log write failed), so writing again is safe and may work.</li>
 * </ul>
 * Never retried: {@code INVALID_ARGUMENT}, {@code NOT_FOUND}, {@code INTERNAL} and any other
 * refusal the request itself causes. An attempt that may have stored the entry is retried only
 * when the request has an idempotency key.
 *
 * <p>Thread-safe. Calls may be made from any thread; the returned futures complete on a Vert.x
 * context; nothing blocks. The client does not own the {@code Vertx} it is given.
 */
public final class WalmeshClient {
  private final Vertx vertx;
  private final Transport transport;
  private final WalmeshClientOptions options;
  private final Set<RetryingCall> calls = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Promise<Void> closeDone = Promise.promise();

  private WalmeshClient(Vertx vertx, Transport transport, WalmeshClientOptions options) {
    this.vertx = vertx;
    this.transport = transport;
    this.options = options;
  }

  /** A client of the gRPC gateway at {@code host:port} (plaintext HTTP/2 unless {@link Builder#tls}). */
  public static Builder grpc(Vertx vertx, String host, int port) {
    Objects.requireNonNull(host, "host");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port must be from 1 to 65535, got " + port);
    }
    return grpc(vertx, SocketAddress.inetSocketAddress(port, host));
  }

  /** A client of the gRPC gateway at {@code server}. */
  public static Builder grpc(Vertx vertx, SocketAddress server) {
    Objects.requireNonNull(vertx, "vertx");
    Objects.requireNonNull(server, "server");
    return new Builder(vertx, server);
  }

  /**
   * A client of the event-bus gateway ({@value Addresses#GATEWAY_WRITE}) of a node running in
   * {@code vertx}, or in its cluster. It registers the protobuf codecs of the write messages on
   * {@code vertx} unless a node already did.
   */
  public static Builder eventBus(Vertx vertx) {
    Objects.requireNonNull(vertx, "vertx");
    return new Builder(vertx, null);
  }

  /** Writes one entry within the default deadline. */
  public Future<WriteResult> write(WriteToLogRequest request) {
    return write(request, options.deadline());
  }

  /**
   * Writes one entry within {@code deadline}, all attempts included. Succeeds with the stored
   * entry's result; fails with a {@link WriteException} when the entry is not known to be stored.
   */
  public Future<WriteResult> write(WriteToLogRequest request, Duration deadline) {
    Objects.requireNonNull(request, "request");
    long deadlineMs = WalmeshClientOptions.positive(deadline, "deadline").toMillis();
    WriteToLogRequest prepared = withIdempotencyKey(request);
    return run(List.of(prepared), deadlineMs, (requests, timeoutMs) -> transport.write(requests.get(0), timeoutMs)
        .map(List::of))
        .compose(settled -> {
          RetryingCall.Settled only = settled.get(0);
          return only.result().isDurable() ? Future.succeededFuture(only.result())
              : Future.failedFuture(only.toException());
        });
  }

  /** Writes many entries within the default deadline; see {@link #writeBatch(List, Duration)}. */
  public Future<List<WriteResult>> writeBatch(List<WriteToLogRequest> requests) {
    return writeBatch(requests, options.deadline());
  }

  /**
   * Writes many entries, possibly of different namespaces, within {@code deadline}. Over gRPC they
   * go in {@code WriteToLogBatch} calls of at most 1000 requests (and 16 MiB), and each round of
   * retries resends only the requests that need it; over the event bus each is written on its own,
   * concurrently. The future succeeds with one result per request, in request order, whatever each
   * says: check {@link WriteResult#isDurable()}.
   */
  public Future<List<WriteResult>> writeBatch(List<WriteToLogRequest> requests, Duration deadline) {
    Objects.requireNonNull(requests, "requests");
    long deadlineMs = WalmeshClientOptions.positive(deadline, "deadline").toMillis();
    List<WriteToLogRequest> prepared = new ArrayList<>(requests.size());
    requests.forEach(request -> prepared.add(withIdempotencyKey(Objects.requireNonNull(request, "a request"))));
    if (prepared.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    if (transport.batches()) {
      return run(prepared, deadlineMs, transport::writeBatch).map(WalmeshClient::results);
    }
    List<Future<List<RetryingCall.Settled>>> writes = new ArrayList<>(prepared.size());
    for (WriteToLogRequest request : prepared) {
      writes.add(run(List.of(request), deadlineMs, (one, timeoutMs) -> transport.write(one.get(0), timeoutMs)
          .map(List::of)));
    }
    return Future.join(writes).map(done -> {
      List<WriteResult> results = new ArrayList<>(writes.size());
      writes.forEach(write -> results.add(write.result().get(0).result()));
      return results;
    });
  }

  private static List<WriteResult> results(List<RetryingCall.Settled> settled) {
    return settled.stream().map(RetryingCall.Settled::result).toList();
  }

  private Future<List<RetryingCall.Settled>> run(List<WriteToLogRequest> requests, long deadlineMs,
                                                 RetryingCall.Sender sender) {
    if (closed.get()) {
      List<RetryingCall.Settled> refused = new ArrayList<>(requests.size());
      requests.forEach(request -> refused.add(new RetryingCall.Settled(new WriteResult(Durability.FAILED,
          Outcome.CLOSED, GrpcStatus.CANCELLED, "the client is closed", "", request.getIdempotencyKey(), 0), "", null)));
      return Future.succeededFuture(refused);
    }
    Context context = vertx.getOrCreateContext();
    RetryingCall call = new RetryingCall(context, options.retryPolicy(), sender, requests, deadlineMs);
    calls.add(call);
    if (closed.get()) { // closed between the check and the add
      call.close();
    }
    return call.start().onComplete(done -> calls.remove(call));
  }

  private WriteToLogRequest withIdempotencyKey(WriteToLogRequest request) {
    if (!options.autoIdempotencyKeys() || !request.getIdempotencyKey().isEmpty()) {
      return request;
    }
    return request.toBuilder().setIdempotencyKey(UUID.randomUUID().toString()).build();
  }

  /** A copy of the options this client was built with. */
  public WalmeshClientOptions options() {
    return new WalmeshClientOptions(options);
  }

  /**
   * Closes the client: writes still waiting end with {@link Outcome#CLOSED} ({@code durable}
   * {@code UNKNOWN} when an attempt was in flight), later writes fail at once, and gRPC connections
   * close. Idempotent. The {@code Vertx} instance stays open.
   */
  public Future<Void> close() {
    if (closed.compareAndSet(false, true)) {
      calls.forEach(RetryingCall::close);
      transport.close().onComplete(closeDone);
    }
    return closeDone.future();
  }

  @Override
  public String toString() {
    return "WalmeshClient{" + transport + ", " + options + "}";
  }

  /** Configures and builds a {@link WalmeshClient}; start from {@link #grpc} or {@link #eventBus}. */
  public static final class Builder {
    private final Vertx vertx;
    /** The gRPC gateway, or null: the event bus. */
    private final SocketAddress server;
    private WalmeshClientOptions options = new WalmeshClientOptions();
    private io.vertx.core.net.ClientSSLOptions tls;
    private String bearerToken;
    private boolean streaming;

    private Builder(Vertx vertx, SocketAddress server) {
      this.vertx = vertx;
      this.server = server;
    }

    /**
     * gRPC over TLS: {@code tls} gives the CA to trust ({@code setTrustOptions(new
     * PemTrustOptions().addCertPath("ca.pem"))}; none: the JVM's) and, for a node that asks for
     * one, this client's certificate ({@code setKeyCertOptions}). The node's certificate must name
     * the host given to {@link #grpc}. Not for the event bus, whose TLS is the Vert.x cluster's.
     */
    public Builder tls(io.vertx.core.net.ClientSSLOptions tls) {
      if (server == null) {
        throw new IllegalStateException("TLS is for the gRPC transport; the event bus uses the Vert.x cluster's EventBusOptions");
      }
      this.tls = new io.vertx.core.net.ClientSSLOptions(Objects.requireNonNull(tls, "tls"));
      return this;
    }

    /** Identifies the caller to a node with {@code auth}: {@code authorization: Bearer <token>} on every gRPC call. */
    public Builder bearerToken(String token) {
      if (server == null) {
        throw new IllegalStateException("a bearer token is for the gRPC transport; event-bus callers are trusted mesh members");
      }
      if (token == null || token.isBlank() || token.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
        throw new IllegalArgumentException("a bearer token is printable ASCII without spaces");
      }
      this.bearerToken = token;
      return this;
    }

    /**
     * Sends each {@link WalmeshClient#write} as a request of one long-lived {@code WriteToLogStream}
     * call instead of a call of its own: the same answers, deadlines and retries, at a fraction of
     * the per-write HTTP/2 cost, for many writes in flight. A stream that breaks ends its waiting
     * writes as unreachable (maybe stored), which are retried on a new stream when they carry an
     * idempotency key. Default false. gRPC only.
     */
    public Builder streaming(boolean streaming) {
      if (server == null && streaming) {
        throw new IllegalStateException("streaming is for the gRPC transport; the event bus has no streams");
      }
      this.streaming = streaming;
      return this;
    }

    /** Replaces every option with a copy of {@code options}. */
    public Builder options(WalmeshClientOptions options) {
      this.options = new WalmeshClientOptions(Objects.requireNonNull(options, "options"));
      return this;
    }

    /** The deadline of writes that name none; default {@link WalmeshClientOptions#DEFAULT_DEADLINE}. */
    public Builder deadline(Duration deadline) {
      options.deadline(deadline);
      return this;
    }

    /** How often and how fast to retry; default {@code new RetryPolicy()}, {@link RetryPolicy#none()} for never. */
    public Builder retryPolicy(RetryPolicy retryPolicy) {
      options.retryPolicy(new RetryPolicy(Objects.requireNonNull(retryPolicy, "retryPolicy")));
      return this;
    }

    /** Whether requests without an idempotency key get a random one; default true. */
    public Builder autoIdempotencyKeys(boolean autoIdempotencyKeys) {
      options.autoIdempotencyKeys(autoIdempotencyKeys);
      return this;
    }

    /** The client; the builder may be reused. */
    public WalmeshClient build() {
      Transport transport;
      if (server == null) {
        transport = new EventBusTransport(vertx, Addresses.GATEWAY_WRITE);
      } else {
        GrpcTransport grpc = new GrpcTransport(vertx, server, tls, bearerToken);
        transport = streaming ? new io.walmesh.client.impl.StreamTransport(vertx, grpc) : grpc;
      }
      return new WalmeshClient(vertx, transport, new WalmeshClientOptions(options));
    }
  }
}
