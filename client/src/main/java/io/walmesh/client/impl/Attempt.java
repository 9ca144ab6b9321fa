package io.walmesh.client.impl;

import io.vertx.grpc.common.GrpcStatus;
import io.walmesh.client.Outcome;
import io.walmesh.protocol.v1.WriteToLogResponse;
import java.util.EnumSet;
import java.util.Set;

/**
 * How one attempt of one write ended, and whether it may have stored the entry.
 *
 * @param outcome what happened
 * @param status the gRPC status (OK when the node answered with a response)
 * @param message the node's or the transport's message
 * @param entryId the entry id the node answered, or empty
 * @param maybeStored whether this attempt may have stored the entry without confirming it
 * @param cause the transport's exception, or null
 */
public record Attempt(Outcome outcome, GrpcStatus status, String message, String entryId, boolean maybeStored,
                      Throwable cause) {

  /** Statuses the node answers before storing anything (docs/api.md), or that no server answers after storing. */
  private static final Set<GrpcStatus> NOT_STORED = EnumSet.of(GrpcStatus.INVALID_ARGUMENT, GrpcStatus.NOT_FOUND,
      GrpcStatus.ALREADY_EXISTS, GrpcStatus.PERMISSION_DENIED, GrpcStatus.RESOURCE_EXHAUSTED,
      GrpcStatus.FAILED_PRECONDITION, GrpcStatus.OUT_OF_RANGE, GrpcStatus.UNIMPLEMENTED, GrpcStatus.INTERNAL,
      GrpcStatus.UNAVAILABLE, GrpcStatus.UNAUTHENTICATED);
  /** Refusals worth another attempt: the node is overloaded or nothing owns the namespace yet. */
  private static final Set<GrpcStatus> TRANSIENT_REFUSALS = EnumSet.of(GrpcStatus.UNAVAILABLE,
      GrpcStatus.RESOURCE_EXHAUSTED);
  /** Inconclusive statuses that come from timing, not from the request: another attempt may settle them. */
  private static final Set<GrpcStatus> TRANSIENT_OPEN = EnumSet.of(GrpcStatus.OK, GrpcStatus.CANCELLED,
      GrpcStatus.DEADLINE_EXCEEDED, GrpcStatus.ABORTED);

  /** Null message and entry id become empty. */
  public Attempt {
    message = message == null ? "" : message;
    entryId = entryId == null ? "" : entryId;
  }

  /** The node answered with a response. */
  public static Attempt answered(WriteToLogResponse response) {
    return switch (response.getDurable()) {
      case SUCCESS -> new Attempt(Outcome.STORED, GrpcStatus.OK, response.getMessage(), response.getEntryId(), false,
          null);
      case FAILED -> new Attempt(Outcome.NOT_STORED, GrpcStatus.OK, response.getMessage(), "", false, null);
      case UNKNOWN -> new Attempt(Outcome.MAYBE_STORED, GrpcStatus.OK, response.getMessage(), "", true, null);
      default -> new Attempt(Outcome.MAYBE_STORED, GrpcStatus.OK, "the node answered durable = "
          + response.getDurable() + (response.getMessage().isEmpty() ? "" : ": " + response.getMessage()), "", true,
          null);
    };
  }

  /** The call ended with a status other than OK. */
  public static Attempt ofStatus(GrpcStatus status, String message) {
    String text = message == null || message.isEmpty() ? "the node answered " + status.name() : message;
    return NOT_STORED.contains(status)
        ? new Attempt(Outcome.REFUSED, status, text, "", false, null)
        : new Attempt(Outcome.MAYBE_STORED, status, text, "", true, null);
  }

  /** The gateway was not reached, or the exchange broke; {@code sent}: the request may have reached it. */
  public static Attempt unreachable(String message, Throwable cause, boolean sent) {
    return new Attempt(Outcome.UNREACHABLE, GrpcStatus.UNAVAILABLE, message, "", sent, cause);
  }

  /** No answer within {@code timeoutMs}; {@code sent}: the request may have reached the node. */
  public static Attempt deadline(long timeoutMs, boolean sent) {
    return new Attempt(Outcome.DEADLINE_EXCEEDED, GrpcStatus.DEADLINE_EXCEEDED, "no answer within the "
        + timeoutMs + " ms left of the deadline", "", sent, null);
  }

  /** The client closed while this write was waiting; {@code inFlight}: an attempt may have reached the node. */
  public static Attempt closed(boolean inFlight) {
    return new Attempt(Outcome.CLOSED, GrpcStatus.CANCELLED, "the client was closed before an answer", "", inFlight,
        null);
  }

  /**
   * Whether another attempt is safe and may help. Safe: this attempt certainly stored nothing, or
   * the request carries an idempotency key, so the node stores it at most once. May help: the
   * cause is transient (unreachable, overloaded, unowned, slow, or durable FAILED), not the request.
   */
  public boolean retryable(boolean hasIdempotencyKey) {
    boolean safe = !maybeStored || hasIdempotencyKey;
    return safe && switch (outcome) {
      case STORED, CLOSED -> false;
      case NOT_STORED, UNREACHABLE, DEADLINE_EXCEEDED -> true;
      case REFUSED -> TRANSIENT_REFUSALS.contains(status);
      case MAYBE_STORED -> TRANSIENT_OPEN.contains(status);
    };
  }
}
