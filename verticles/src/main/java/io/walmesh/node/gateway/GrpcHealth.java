package io.walmesh.node.gateway;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.walmesh.node.internal.Text;
import io.walmesh.protocol.grpc.health.v1.HealthCheckRequest;
import io.walmesh.protocol.grpc.health.v1.HealthCheckResponse;
import io.walmesh.protocol.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.walmesh.protocol.grpc.health.v1.HealthGrpcService;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The standard gRPC health service ({@code grpc.health.v1.Health}) on the gateway. The node's own
 * health is open to every caller (probes and load balancers carry no identity); a namespace's,
 * which tells whether the name exists, needs a caller identity when the node has {@code auth}
 * ({@code UNAUTHENTICATED} without one). Its services:
 * <ul>
 *   <li>{@code ""} and {@code walmesh.v1.WriteAheadLog}: {@code SERVING} while every namespace
 *       this node runs can store writes durably, {@code NOT_SERVING} while one cannot (the admin
 *       API's health is then {@code DOWN});</li>
 *   <li>a namespace's name: {@code SERVING} while it is {@code running} here or {@code elsewhere}
 *       in the mesh, {@code NOT_SERVING} otherwise (starting, failed, paused, unavailable).</li>
 * </ul>
 * {@code Check} of an unknown service answers {@code NOT_FOUND}; {@code Watch} sends
 * {@code SERVICE_UNKNOWN} and keeps watching. {@code Watch} sends the status at once and then
 * each change (checked every second) until the client cancels.
 */
final class GrpcHealth {
  static final String WRITE_SERVICE = "walmesh.v1.WriteAheadLog";
  private static final long WATCH_EVERY_MS = 1_000;

  private GrpcHealth() {
  }

  /** The caller of a call, or null after {@code refuse} was told why it has none (see {@code GatewayVerticle.caller}). */
  interface Identify {
    String caller(MultiMap headers, HttpConnection connection, String fullMethodName, BiConsumer<GrpcStatus, String> refuse);
  }

  /**
   * Serves health on {@code grpc} ({@code Check} through {@code routes}). {@code nodeServes}: whether every namespace here can store
   * writes durably; {@code namespaceServes}: whether a namespace serves (empty: no such namespace);
   * {@code identify}: the caller of a call, or null after it refused the call (see
   * {@code GatewayVerticle.caller}).
   */
  static void register(Vertx vertx, GrpcServer grpc, GrpcRoutes routes, java.util.function.BooleanSupplier nodeServes,
                       Function<String, Optional<Boolean>> namespaceServes, Identify identify) {
    routes.unary(HealthGrpcService.Check, HealthGrpcService.Check.decoder(),
        (Unary<HealthCheckResponse> unary, HealthCheckRequest request) -> {
          String service = request.getService();
          if (!isNode(service) && identify.caller(unary.headers(), unary.connection(), unary.fullMethodName(),
              unary::refuse) == null) {
            return;
          }
          Optional<Boolean> up = isNode(service) ? Optional.of(nodeServes.getAsBoolean()) : namespaceServes.apply(service);
          if (up.isEmpty()) {
            unary.refuse(GrpcStatus.NOT_FOUND, "no service " + Text.quote(service) + " here; ask for \"\", "
                + WRITE_SERVICE + " or a namespace's name");
          } else {
            unary.answer(HealthCheckResponse.newBuilder().setStatus(up.get() ? ServingStatus.SERVING
                : ServingStatus.NOT_SERVING).build());
          }
        });
    grpc.callHandler(HealthGrpcService.Watch, call -> {
      ServingStatus[] sent = {null};
      long[] timer = {-1};
      call.exceptionHandler(e -> vertx.cancelTimer(timer[0])); // the client cancelled
      call.handler((HealthCheckRequest request) -> {
        String service = request.getService();
        if (!isNode(service) && identify.caller(call.headers(), call.connection(), call.fullMethodName(),
            (status, message) -> UnaryCall.end(call, status, message)) == null) {
          return;
        }
        Runnable check = () -> {
          ServingStatus now = (isNode(service) ? Optional.of(nodeServes.getAsBoolean()) : namespaceServes.apply(service))
              .map(up -> up ? ServingStatus.SERVING : ServingStatus.NOT_SERVING).orElse(ServingStatus.SERVICE_UNKNOWN);
          if (now != sent[0]) {
            sent[0] = now;
            try {
              call.response().write(HealthCheckResponse.newBuilder().setStatus(now).build());
            } catch (IllegalStateException closed) {
              vertx.cancelTimer(timer[0]);
            }
          }
        };
        check.run();
        timer[0] = vertx.setPeriodic(WATCH_EVERY_MS, id -> check.run());
      });
      call.response().exceptionHandler(e -> vertx.cancelTimer(timer[0]));
    });
  }

  /** The node's own health: {@code ""} or the write API's service name. */
  private static boolean isNode(String service) {
    return service.isEmpty() || service.equals(WRITE_SERVICE);
  }
}
