package io.walmesh.node.gateway;

import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.walmesh.node.internal.Text;
import io.walmesh.protocol.grpc.health.v1.HealthCheckRequest;
import io.walmesh.protocol.grpc.health.v1.HealthCheckResponse;
import io.walmesh.protocol.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.walmesh.protocol.grpc.health.v1.HealthGrpcService;
import java.util.Optional;
import java.util.function.Function;

/**
 * The standard gRPC health service ({@code grpc.health.v1.Health}) on the gateway, open to every
 * caller (probes and load balancers carry no identity). Its services:
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

  /**
   * Serves health on {@code grpc}; {@code serving} answers for a service name whether it serves
   * (empty: no such service).
   */
  static void register(Vertx vertx, GrpcServer grpc, long maxMessageBytes, Function<String, Optional<Boolean>> serving) {
    grpc.callHandler(HealthGrpcService.Check, call -> UnaryCall.read(call, HealthGrpcService.Check.decoder(), maxMessageBytes,
        (unary, request) -> {
          Optional<Boolean> up = serving.apply(request.getService());
          if (up.isEmpty()) {
            unary.refuse(GrpcStatus.NOT_FOUND, "no service " + Text.quote(request.getService()) + " here; ask for \"\", "
                + WRITE_SERVICE + " or a namespace's name");
          } else {
            unary.answer(HealthCheckResponse.newBuilder().setStatus(up.get() ? ServingStatus.SERVING
                : ServingStatus.NOT_SERVING).build());
          }
        }));
    grpc.callHandler(HealthGrpcService.Watch, call -> {
      ServingStatus[] sent = {null};
      long[] timer = {-1};
      call.exceptionHandler(e -> vertx.cancelTimer(timer[0])); // the client cancelled
      call.handler((HealthCheckRequest request) -> {
        Runnable check = () -> {
          ServingStatus now = serving.apply(request.getService())
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
}
