package io.walmesh.node.gateway;

import io.vertx.grpc.common.GrpcStatus;
import io.walmesh.protocol.v1.WriteToLogResponse;

/** The answer to one write: a gRPC status, its message, and the response when the status is OK. */
record Outcome(GrpcStatus status, String message, WriteToLogResponse response) {
  static Outcome refused(GrpcStatus status, String message) {
    return new Outcome(status, message, null);
  }
}
