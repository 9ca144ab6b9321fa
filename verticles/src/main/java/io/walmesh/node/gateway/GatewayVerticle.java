package io.walmesh.node.gateway;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import io.vertx.grpc.server.GrpcServerRequest;
import io.walmesh.node.namespace.NamespaceConfig;
import io.walmesh.protocol.Addresses;
import io.walmesh.protocol.WriteFailure;
import io.walmesh.protocol.v1.Trilean;
import io.walmesh.protocol.v1.WriteAheadLogGrpcService;
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

  private final String host;
  private final int port;
  private final Predicate<String> namespaceExists;
  private HttpServer server;

  public GatewayVerticle(String host, int port, Predicate<String> namespaceExists) {
    this.host = host;
    this.port = port;
    this.namespaceExists = namespaceExists;
  }

  @Override
  public void start(Promise<Void> startPromise) {
    GrpcServer grpc = GrpcServer.server(vertx, new GrpcServerOptions()
        // room for the largest payload a namespace may allow plus the request's other fields
        .setMaxMessageSize(NamespaceConfig.MAX_PAYLOAD_BYTES_LIMIT + (1 << 20)));
    grpc.callHandler(WriteAheadLogGrpcService.WriteToLog, this::writeToLog);
    vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port))
        .requestHandler(grpc)
        .listen()
        .onSuccess(s -> {
          server = s;
          log.info("gRPC gateway listening on {}:{}", host, s.actualPort());
        })
        .<Void>mapEmpty()
        .onComplete(startPromise);
  }

  /** The port the gateway listens on (useful when started on port 0). */
  public int actualPort() {
    return server.actualPort();
  }

  private void writeToLog(GrpcServerRequest<WriteToLogRequest, WriteToLogResponse> call) {
    call.exceptionHandler(e -> log.debug("gRPC call failed: {}", e.getMessage()));
    call.handler(request -> {
      String namespace = request.getNamespace();
      if (namespace.isEmpty()) {
        fail(call, GrpcStatus.INVALID_ARGUMENT, "namespace is required");
        return;
      }
      if (!namespaceExists.test(namespace)) {
        fail(call, GrpcStatus.NOT_FOUND, "namespace \"" + namespace
            + "\" does not exist; create it with `walmesh namespaces create` or POST /v1/namespaces");
        return;
      }
      // answer UNKNOWN a little before the client's deadline, so the client hears it
      long timeout = call.timeout() > 0 ? Math.max(1, call.timeout() - Math.min(250, call.timeout() / 10))
          : DEFAULT_WRITE_TIMEOUT_MS;
      vertx.eventBus().<Buffer>request(Addresses.write(namespace), Buffer.buffer(request.toByteArray()),
          new DeliveryOptions().setSendTimeout(timeout)).onComplete(ar -> {
            if (ar.succeeded()) {
              try {
                call.response().send(WriteToLogResponse.parseFrom(ar.result().body().getBytes()));
              } catch (Exception e) {
                fail(call, GrpcStatus.INTERNAL, "the owner's answer could not be decoded: " + e.getMessage());
              }
              return;
            }
            answerFailure(call, namespace, timeout, ar.cause());
          });
    });
  }

  private void answerFailure(GrpcServerRequest<WriteToLogRequest, WriteToLogResponse> call, String namespace,
                             long timeout, Throwable cause) {
    if (!(cause instanceof ReplyException reply)) {
      fail(call, GrpcStatus.INTERNAL, String.valueOf(cause.getMessage()));
      return;
    }
    switch (reply.failureType()) {
      case NO_HANDLERS -> fail(call, GrpcStatus.UNAVAILABLE, "no node owns namespace " + namespace
          + " right now (it may be starting, failed to start, or being moved); retry shortly");
      case TIMEOUT -> call.response().send(WriteToLogResponse.newBuilder().setDurable(Trilean.UNKNOWN)
          .setMessage("no answer from the owner of namespace " + namespace + " within " + timeout
              + " ms; the entry may be stored: retry with the same idempotency_key").build());
      default -> {
        WriteFailure failure = WriteFailure.ofCode(reply.failureCode());
        fail(call, failure == null ? GrpcStatus.INTERNAL : GrpcStatus.valueOf(failure.code()), reply.getMessage());
      }
    }
  }

  private static void fail(GrpcServerRequest<WriteToLogRequest, WriteToLogResponse> call, GrpcStatus status, String message) {
    call.response().status(status).statusMessage(message).end();
  }

  @Override
  public void stop(Promise<Void> stopPromise) {
    if (server == null) {
      stopPromise.complete();
    } else {
      server.close().onComplete(stopPromise);
    }
  }
}
