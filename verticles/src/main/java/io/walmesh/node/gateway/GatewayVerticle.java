package io.walmesh.node.gateway;

import io.opentelemetry.api.trace.Span;
import io.walmesh.node.tracing.Tracing;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import io.walmesh.node.internal.ListenerLimits;
import io.walmesh.node.internal.Text;
import io.walmesh.node.metrics.Metrics;
import io.walmesh.node.namespace.NamespaceConfig;
import io.walmesh.protocol.Addresses;
import io.walmesh.protocol.WriteFailure;
import io.walmesh.protocol.v1.Trilean;
import io.walmesh.protocol.v1.WriteAheadLogGrpcService;
import io.walmesh.protocol.v1.WriteToLogBatchRequest;
import io.walmesh.protocol.v1.WriteToLogBatchResponse;
import io.walmesh.protocol.v1.WriteToLogBatchResult;
import io.walmesh.protocol.v1.WriteToLogRequest;
import io.walmesh.protocol.v1.WriteToLogResponse;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@code WriteToLog} over gRPC. It checks what needs no namespace config (a namespace is
 * named and exists), then sends the request over the event bus to {@link Addresses#write}, where the
 * owning producer validates and stores it. Refusals map to gRPC statuses ({@link WriteFailure});
 * no registered owner is {@code UNAVAILABLE}; an owner that does not answer before the deadline
 * gives {@code durable = UNKNOWN}, since the entry may be stored.
 */
public final class GatewayVerticle extends AbstractVerticle {
  private static final Logger log = LoggerFactory.getLogger(GatewayVerticle.class);
  /** Used when the client sets no deadline. */
  public static final long DEFAULT_WRITE_TIMEOUT_MS = 10_000;
  /** The namespace label of writes that named no namespace, and of writes to unknown namespaces. */
  static final String NO_NAMESPACE = "(none)";
  static final String UNKNOWN_NAMESPACE = "(unknown)";
  /** The most requests one WriteToLogBatch call may carry. */
  public static final int MAX_BATCH = 1000;
  /** The largest request message, compressed or inflated: room for the largest payload a namespace may allow plus the other fields. */
  public static final long MAX_MESSAGE_BYTES = NamespaceConfig.MAX_PAYLOAD_BYTES_LIMIT + (1 << 20);

  private final String host;
  private final int port;
  private final Predicate<String> namespaceExists;
  private java.util.function.Function<String, String> whyUnavailable = name -> "";
  private final Metrics metrics;
  private final ListenerLimits limits;
  private final RequestBudget budget;
  /** Shared by every instance of this gateway: max-connections counts the listener's connections, not an instance's. */
  private final ListenerLimits.ConnectionCap connectionCap;
  private HttpServer server;

  public GatewayVerticle(String host, int port, Predicate<String> namespaceExists, Metrics metrics) {
    this(host, port, namespaceExists, metrics, ListenerLimits.grpcDefaults(), new RequestBudget(RequestBudget.DEFAULT_MAX_BYTES));
  }

  public GatewayVerticle(String host, int port, Predicate<String> namespaceExists, Metrics metrics, ListenerLimits limits,
                         RequestBudget budget) {
    this(host, port, namespaceExists, metrics, limits, budget, limits.connectionCap("gRPC"));
  }

  private GatewayVerticle(String host, int port, Predicate<String> namespaceExists, Metrics metrics, ListenerLimits limits,
                          RequestBudget budget, ListenerLimits.ConnectionCap connectionCap) {
    this.connectionCap = connectionCap;
    this.limits = limits;
    this.budget = budget;
    this.metrics = metrics;
    this.host = host;
    this.port = port;
    this.namespaceExists = namespaceExists;
  }

  @Override
  public void start(Promise<Void> startPromise) {
    deadlines = new Deadlines<>(vertx); // one sweep for the writes to producers here and to owners elsewhere
    localWrites = new LocalWrites(context, deadlines, metrics, whyUnavailable);
    remoteWrites = new RemoteWrites(vertx, context, deadlines, (namespace, timeout, cause) -> {
      Outcome outcome = failureOutcome(namespace, timeout, cause, whyUnavailable);
      if (outcome.status() == GrpcStatus.UNAVAILABLE) {
        metrics.writes(namespace, "unavailable").increment();
      }
      return outcome;
    });
    GrpcServer grpc = GrpcServer.server(vertx, new GrpcServerOptions().setMaxMessageSize(MAX_MESSAGE_BYTES));
    GrpcRoutes calls = new GrpcRoutes(grpc, MAX_MESSAGE_BYTES)
        .unary(WriteAheadLogGrpcService.WriteToLog, ProtobufDecoder.of(WriteToLogRequest.getDefaultInstance(),
            WriteAheadLogGrpcService.WriteToLog.decoder()), this::writeToLog)
        .unary(WriteAheadLogGrpcService.WriteToLogBatch, ProtobufDecoder.of(WriteToLogBatchRequest.getDefaultInstance(),
            WriteAheadLogGrpcService.WriteToLogBatch.decoder()),
            this::writeToLogBatch)
        .stream(StreamCall.MAX_UNANSWERED, this::openStream);
    GrpcHealth.register(vertx, grpc, calls, nodeServes, namespaceServes, this::caller);
    GrpcReflection.register(grpc);
    // in a mesh, other members reach this address only when the config says so (cluster.event-bus-api)
    MessageConsumer<Object> busGateway = busApiForTheMesh ? vertx.eventBus().consumer(Addresses.GATEWAY_WRITE, this::writeFromBus)
        : vertx.eventBus().localConsumer(Addresses.GATEWAY_WRITE, this::writeFromBus);
    Future.join(busGateway.completion(), vertx.createHttpServer(io.walmesh.node.tls.TlsOptions.apply(tls, limits.applyToGrpc(new HttpServerOptions().setHost(host).setPort(port))))
        .connectionHandler(connection -> {
          // only on admitted connections: one past the cap is closed exactly as before, its GOAWAY flushed at once
          if (connectionCap.admit(connection)) {
            FlushBatching.install(connection);
          }
        })
        .requestHandler(calls)
        .listen()
        .onSuccess(s -> {
          server = s;
          log.info("gRPC gateway listening on {}:{}", host, s.actualPort());
        }))
        .<Void>mapEmpty()
        .onComplete(startPromise);
  }

  /** The event-bus gateway: the same routing and answers as gRPC, with {@link WriteFailure} codes. */
  private void writeFromBus(Message<Object> message) {
    WriteToLogRequest request;
    if (message.body() instanceof Buffer bytes && bytes.length() > MAX_MESSAGE_BYTES) {
      message.fail(WriteFailure.RESOURCE_EXHAUSTED.code(), "the request is " + bytes.length()
          + " bytes, over this node's limit of " + MAX_MESSAGE_BYTES + " bytes per message");
      return;
    }
    try {
      request = message.body() instanceof WriteToLogRequest r ? r
          : WriteToLogRequest.parseFrom(((Buffer) message.body()).getBytes());
    } catch (Exception e) {
      message.fail(WriteFailure.INVALID_ARGUMENT.code(), "the message body must be a Buffer holding a protobuf WriteToLogRequest");
      return;
    }
    long timeout = DEFAULT_WRITE_TIMEOUT_MS;
    if (message.headers().contains("timeout-ms")) {
      try {
        timeout = Math.max(1, Long.parseLong(message.headers().get("timeout-ms")));
      } catch (NumberFormatException e) {
        message.fail(WriteFailure.INVALID_ARGUMENT.code(), "the timeout-ms header must be a number of milliseconds");
        return;
      }
    }
    long size = request.getSerializedSize();
    if (!budget.tryAcquire(size)) {
      message.fail(WriteFailure.RESOURCE_EXHAUSTED.code(), budget.refusal());
      return;
    }
    route(request, timeout, message.headers().get(Tracing.TRACEPARENT), true).onComplete(done -> {
      budget.release(size);
      Outcome outcome = outcomeOf(done);
      if (outcome.status() == GrpcStatus.OK) {
        message.reply(message.body() instanceof Buffer ? Buffer.buffer(outcome.response().toByteArray()) : outcome.response());
      } else {
        message.fail(outcome.status().code, outcome.message());
      }
    });
  }

  private io.walmesh.node.tls.TlsOptions tls;
  private io.walmesh.node.auth.Authorizer authorizer = io.walmesh.node.auth.Authorizer.OPEN;

  /** Who may write where (default: everyone, everywhere). */
  public GatewayVerticle authorizer(io.walmesh.node.auth.Authorizer authorizer) {
    this.authorizer = authorizer;
    return this;
  }

  /**
   * The caller of a gRPC call, when the node identifies callers; answers the call with
   * UNAUTHENTICATED (and returns null) when it cannot be identified.
   */
  private String caller(MultiMap headers, HttpConnection connection, String fullMethodName,
                        java.util.function.BiConsumer<GrpcStatus, String> refuse) {
    if (!authorizer.enabled()) {
      return "";
    }
    String authorization = headers.get("authorization");
    java.util.Optional<String> principal = authorizer.identify(authorization, connection);
    if (principal.isEmpty()) {
      authorizer.audit(null, fullMethodName, "-", "unauthenticated");
      refuse.accept(GrpcStatus.UNAUTHENTICATED, authorization != null
          ? "the bearer token in the authorization metadata is not one this node knows"
          : "this node requires a caller identity: a TLS client certificate or 'authorization: Bearer <token>' metadata");
      return null;
    }
    return principal.get();
  }

  /** {@link #caller} of a unary call. */
  private String caller(Unary<?> call, java.util.function.BiConsumer<GrpcStatus, String> refuse) {
    return caller(call.headers(), call.connection(), call.fullMethodName(), refuse);
  }

  /** PERMISSION_DENIED when the caller may not write to the request's namespace; null when it may. */
  private Outcome denied(String principal, WriteToLogRequest request) {
    if (!authorizer.enabled() || authorizer.mayWrite(principal, request.getNamespace())) {
      return null;
    }
    authorizer.audit(principal, "WriteToLog", "namespace/" + Text.truncate(request.getNamespace(), 64), "denied");
    return Outcome.refused(GrpcStatus.PERMISSION_DENIED, "principal " + Text.quote(principal) + " may not write to namespace "
        + Text.quote(request.getNamespace()) + " (auth.principals." + Text.truncate(principal, 64) + ".write)");
  }

  /** Serves over TLS with these files (null: plaintext). */
  public GatewayVerticle tls(io.walmesh.node.tls.TlsOptions tls) {
    this.tls = tls;
    return this;
  }

  /** Reads the TLS files again: new connections use them, open ones keep theirs. */
  public io.vertx.core.Future<Boolean> reloadTls() {
    return io.walmesh.node.tls.TlsOptions.reload(tls, server);
  }

  /**
   * Another instance of this gateway, for another event loop, deployed with it as one deployment of several
   * instances: the same settings, request budget and connection cap. Vert.x binds the port once and hands each new
   * connection to the instances in turn, so the HTTP/2 and gRPC work of many client connections spreads over the
   * event loops instead of all falling on one.
   */
  public GatewayVerticle sibling() {
    GatewayVerticle copy = new GatewayVerticle(host, port, namespaceExists, metrics, limits, budget, connectionCap);
    copy.whyUnavailable = whyUnavailable;
    copy.tls = tls;
    copy.authorizer = authorizer;
    copy.localProducers = localProducers;
    copy.busApiForTheMesh = busApiForTheMesh;
    copy.nodeServes = nodeServes;
    copy.namespaceServes = namespaceServes;
    return copy;
  }

  /** The port the gateway was asked to listen on (0: any). */
  public int port() {
    return port;
  }

  /** The port the gateway listens on (useful when started on port 0). */
  public int actualPort() {
    return server.actualPort();
  }

  private void writeToLog(Unary<WriteToLogResponse> unary, WriteToLogRequest request) {
    String principal = caller(unary, unary::refuse);
    if (principal == null) {
      return;
    }
    writeOne(principal, request, unary.wireBytes(), timeoutOf(unary), traceparentOf(unary.headers())).onComplete(done -> {
      Outcome outcome = outcomeOf(done);
      if (outcome.status() == GrpcStatus.OK) {
        unary.answer(outcome.response());
      } else {
        unary.refuse(outcome.status(), outcome.message());
      }
    });
  }

  /** A WriteToLogStream call's writes: identified once per call, each write then checked and routed as WriteToLog's. */
  private StreamCall.Write openStream(StreamCall.Io call) {
    String principal = caller(call.headers(), call.connection(), call.fullMethodName(), call::fail);
    if (principal == null) {
      return null;
    }
    String traceparent = traceparentOf(call.headers()); // one per call, not one lookup per message of the stream
    return (request, bytes) -> writeOne(principal, request, bytes, DEFAULT_WRITE_TIMEOUT_MS, traceparent);
  }

  private void writeToLogBatch(Unary<WriteToLogBatchResponse> unary, WriteToLogBatchRequest batch) {
    if (batch.getRequestsCount() > MAX_BATCH) {
      unary.refuse(GrpcStatus.INVALID_ARGUMENT, "a batch holds at most " + MAX_BATCH + " requests, got " + batch.getRequestsCount());
      return;
    }
    long size = UnaryCall.requestBytes(unary.wireBytes(), batch);
    if (!budget.tryAcquire(size)) {
      unary.refuse(GrpcStatus.RESOURCE_EXHAUSTED, budget.refusal());
      return;
    }
    String principal = caller(unary, unary::refuse);
    if (principal == null) {
      budget.release(size);
      return;
    }
    long timeout = timeoutOf(unary);
    String traceparent = traceparentOf(unary.headers());
    int count = batch.getRequestsCount();
    BatchAnswers answers = new BatchAnswers(count, deadlines, timeout,
        i -> Outcome.noAnswer(batch.getRequests(i).getNamespace(), timeout), outcomes -> {
          budget.release(size);
          // the results in a list of their size, added at once: one result at a time grew the builder's list from 10
          java.util.List<WriteToLogBatchResult> results = new java.util.ArrayList<>(outcomes.length);
          for (Outcome outcome : outcomes) {
            WriteToLogBatchResult.Builder result = WriteToLogBatchResult.newBuilder().setStatusCode(outcome.status().code);
            if (outcome.status() == GrpcStatus.OK) {
              result.setResponse(outcome.response());
            } else {
              result.setStatusMessage(outcome.message());
            }
            results.add(result.build());
          }
          unary.answer(WriteToLogBatchResponse.newBuilder().addAllResults(results).build());
        });
    // writes for a producer on this node go to it together (without tracing, whose spans are per write); others one by one
    boolean together = !metrics.tracing().enabled();
    LocalWrites.Gathered here = null;
    // the namespace of the write before and its producer here: a batch's writes mostly share one, and looking up a
    // name (a fresh string, hashed anew) for every write was 5 % of a node's CPU under batched writes
    String lastNamespace = null;
    io.walmesh.node.producer.ProducerVerticle lastProducer = null;
    for (int i = 0; i < count; i++) {
      WriteToLogRequest request = batch.getRequests(i);
      Outcome denied = denied(principal, request);
      if (denied != null) {
        answers.set(i, denied);
        continue;
      }
      Future<Outcome> routed;
      if (together) {
        String namespace = request.getNamespace();
        if (!namespace.equals(lastNamespace)) {
          Outcome refused = unroutable(namespace);
          if (refused != null) {
            answers.set(i, refused); // not remembered: each such write is refused and counted on its own
            continue;
          }
          lastNamespace = namespace;
          lastProducer = localProducers.of(namespace).orElse(null);
        }
        if (lastProducer != null) {
          here = here == null ? localWrites.gathered(count) : here;
          here.add(lastProducer, i, request);
          continue;
        }
        // routable (checked above), owned elsewhere, no span to open: straight to the owner, not checked again
        routed = remoteWrites.write(request, timeout, null, false);
      } else {
        routed = route(request, timeout, traceparent, false);
      }
      int slot = i;
      // the batch's deadline stands for its writes': they are not watched one by one
      routed.onComplete(done -> answers.set(slot, outcomeOf(done)));
    }
    if (here != null) {
      here.handOver(traceparent, answers);
    }
  }

  /**
   * One write as {@code WriteToLog} answers it: the caller's permission for its namespace, the
   * node's budget of request bytes, then the route to its owner. Never fails.
   */
  private Future<Outcome> writeOne(String principal, WriteToLogRequest request, long wireBytes, long timeout,
                                   String traceparent) {
    Outcome denied = denied(principal, request);
    if (denied != null) {
      return Future.succeededFuture(denied);
    }
    long size = UnaryCall.requestBytes(wireBytes, request);
    if (!budget.tryAcquire(size)) {
      return Future.succeededFuture(Outcome.refused(GrpcStatus.RESOURCE_EXHAUSTED, budget.refusal()));
    }
    return route(request, timeout, traceparent, true).andThen(done -> budget.release(size));
  }

  /** A routed write's outcome; a routing bug answers INTERNAL (and is logged) rather than leaving the call unanswered. */
  private static Outcome outcomeOf(io.vertx.core.AsyncResult<Outcome> routed) {
    if (routed.succeeded() && routed.result() != null) {
      return routed.result();
    }
    log.error("Routing a write failed", routed.cause());
    return Outcome.refused(GrpcStatus.INTERNAL, "the node failed to route the write: " + routed.cause());
  }

  /**
   * The caller's trace context, read only when tracing is on (a header lookup in Vert.x lower-cases and validates the
   * name: 0.3 % of the node's CPU under unary writes, for a value nothing used).
   */
  private String traceparentOf(MultiMap headers) {
    return metrics.tracing().enabled() ? headers.get(Tracing.TRACEPARENT) : null;
  }

  /** Answers UNKNOWN a little before the client's deadline, so the client hears it. */
  private static long timeoutOf(Unary<?> call) {
    long timeout = call.timeoutMs();
    return timeout > 0 ? Math.max(1, timeout - Math.min(250, timeout / 10)) : DEFAULT_WRITE_TIMEOUT_MS;
  }

  /**
   * Sends one write to the producer that owns its namespace, in a {@code walmesh.write} span when tracing is on
   * (a child of the caller's {@code traceparent}); never fails, the outcome says what happened.
   */
  private Future<Outcome> route(WriteToLogRequest request, long timeout, String callerTraceparent, boolean watched) {
    Tracing tracing = metrics.tracing();
    if (!tracing.enabled()) {
      return send(request, timeout, null, watched);
    }
    Span span = tracing.write(request.getNamespace(), callerTraceparent);
    return send(request, timeout, Tracing.traceparent(span), watched).andThen(done -> {
      Outcome outcome = done.succeeded() ? done.result() : null;
      if (outcome == null) {
        Tracing.end(span, false, "INTERNAL", String.valueOf(done.cause()));
      } else if (outcome.status() != GrpcStatus.OK) {
        Tracing.end(span, false, outcome.status().name(), outcome.message());
      } else {
        span.setAttribute(Tracing.ENTRY, outcome.response().getEntryId());
        Trilean durable = outcome.response().getDurable();
        Tracing.end(span, durable == Trilean.SUCCESS, durable.name(), outcome.response().getMessage());
      }
    });
  }

  private Future<Outcome> send(WriteToLogRequest request, long timeout, String traceparent, boolean watched) {
    String namespace = request.getNamespace();
    Outcome refused = unroutable(namespace);
    if (refused != null) {
      return Future.succeededFuture(refused);
    }
    java.util.Optional<io.walmesh.node.producer.ProducerVerticle> here = localProducers.of(namespace);
    if (here.isPresent()) {
      return localWrites.write(here.get(), request, timeout, traceparent, watched);
    }
    return remoteWrites.write(request, timeout, traceparent, watched);
  }

  /** Why a write to {@code namespace} goes nowhere (no name, not a name, no such namespace), counted; null when it exists. */
  private Outcome unroutable(String namespace) {
    if (namespace.isEmpty()) {
      metrics.writes(NO_NAMESPACE, "rejected").increment();
      return Outcome.refused(GrpcStatus.INVALID_ARGUMENT, "namespace is required");
    }
    if (!namespaceExists.test(namespace)) {
      // only a name that is not a namespace pays for the pattern: an existing one was checked when it was created
      if (!NamespaceConfig.NAME.matcher(namespace).matches()) {
        metrics.writes(UNKNOWN_NAMESPACE, "rejected").increment();
        return Outcome.refused(GrpcStatus.INVALID_ARGUMENT, "namespace " + Text.quote(namespace)
            + " is not a namespace name: names are 1 to 63 of a-z 0-9 . _ - starting with a letter or digit");
      }
      metrics.writes(UNKNOWN_NAMESPACE, "not-found").increment(); // one label: unknown names must not grow the registry
      return Outcome.refused(GrpcStatus.NOT_FOUND, "namespace \"" + namespace
          + "\" does not exist; create it with `walmesh namespaces create` or POST /v1/namespaces");
    }
    return null;
  }

  private io.walmesh.node.producer.LocalProducers localProducers = new io.walmesh.node.producer.LocalProducers();
  private Deadlines<Outcome> deadlines;
  private LocalWrites localWrites;
  private RemoteWrites remoteWrites;

  /** The producers on this node, written to without the event bus. */
  public GatewayVerticle localProducers(io.walmesh.node.producer.LocalProducers producers) {
    this.localProducers = producers;
    return this;
  }

  /** Explains, in a mesh, why no node takes a namespace's writes (used in UNAVAILABLE answers). */
  private boolean busApiForTheMesh;

  /**
   * Whether the event-bus gateway ({@value Addresses#GATEWAY_WRITE}) takes writes from other
   * members of the mesh too, not only from code in this JVM. Default false: the event-bus API has
   * no per-caller permissions, so a mesh offers it only when its operator says so.
   */
  public GatewayVerticle busApiForTheMesh(boolean enabled) {
    this.busApiForTheMesh = enabled;
    return this;
  }

  private java.util.function.BooleanSupplier nodeServes = () -> true;
  private java.util.function.Function<String, java.util.Optional<Boolean>> namespaceServes = name -> java.util.Optional.empty();

  /**
   * What the gRPC health service answers: whether every namespace here can store writes durably,
   * and whether a namespace serves (empty: no such namespace).
   */
  public GatewayVerticle health(java.util.function.BooleanSupplier nodeServes,
                                java.util.function.Function<String, java.util.Optional<Boolean>> namespaceServes) {
    this.nodeServes = nodeServes;
    this.namespaceServes = namespaceServes;
    return this;
  }

  public GatewayVerticle whyUnavailable(java.util.function.Function<String, String> reason) {
    this.whyUnavailable = reason;
    return this;
  }

  static Outcome failureOutcome(String namespace, long timeout, Throwable cause,
                                        java.util.function.Function<String, String> whyUnavailable) {
    if (!(cause instanceof ReplyException reply)) {
      return Outcome.refused(GrpcStatus.INTERNAL, String.valueOf(cause.getMessage()));
    }
    return switch (reply.failureType()) {
      case NO_HANDLERS -> Outcome.noOwner(namespace, whyUnavailable);
      case TIMEOUT -> Outcome.noAnswer(namespace, timeout);
      default -> Outcome.refusedWith(WriteFailure.ofCode(reply.failureCode()), reply.getMessage());
    };
  }

  @Override
  public void stop(Promise<Void> stopPromise) {
    if (deadlines != null) {
      deadlines.close();
    }
    if (server == null) {
      stopPromise.complete();
    } else {
      server.close().onComplete(stopPromise);
    }
  }
}
