package io.walmesh.node.gateway;

import io.vertx.grpc.common.GrpcStatus;
import io.walmesh.protocol.WriteFailure;
import io.walmesh.protocol.v1.Trilean;
import io.walmesh.protocol.v1.WriteToLogResponse;

/** The answer to one write: a gRPC status, its message, and the response when the status is OK. */
record Outcome(GrpcStatus status, String message, WriteToLogResponse response) {
  static Outcome refused(GrpcStatus status, String message) {
    return new Outcome(status, message, null);
  }

  /** No answer from the owner in time: OK with {@code durable: UNKNOWN}, since the entry may be stored. */
  static Outcome noAnswer(String namespace, long timeout) {
    return new Outcome(GrpcStatus.OK, null, WriteToLogResponse.newBuilder().setDurable(Trilean.UNKNOWN)
        .setMessage("no answer from the owner of namespace " + namespace + " within " + timeout
            + " ms; the entry may be stored: retry with the same idempotency_key").build());
  }

  /** A producer's refusal as its gRPC status (a {@link WriteFailure} code is one); INTERNAL for an unknown code. */
  static Outcome refusedWith(WriteFailure failure, String message) {
    return Outcome.refused(failure == null ? GrpcStatus.INTERNAL : GrpcStatus.valueOf(failure.code()), message);
  }

  /** UNAVAILABLE: no producer takes the namespace's writes right now, and why. */
  static Outcome noOwner(String namespace, java.util.function.Function<String, String> whyUnavailable) {
    String why = whyUnavailable.apply(namespace);
    return Outcome.refused(GrpcStatus.UNAVAILABLE, "no node owns namespace " + namespace + " right now ("
        + (why.isEmpty() ? "it may be starting, failed to start, or being moved" : why) + "); retry shortly");
  }
}

