package io.walmesh.client;

import io.vertx.core.VertxException;
import io.vertx.grpc.common.GrpcStatus;

/**
 * A write that did not end with a stored entry. Branch on {@link #outcome()} and
 * {@link #durable()}, never on the message: {@code durable() == FAILED} means nothing was stored
 * and writing again is safe; {@code UNKNOWN} means the entry may be stored, so write again with
 * the same {@link WriteResult#idempotencyKey() idempotency key}. Stackless: the cause, when there
 * is one (a connection error), says where it came from.
 */
public final class WriteException extends VertxException {
  private static final long serialVersionUID = 1L;

  private final transient WriteResult result;

  /**
   * An exception for {@code result}, whose {@code durable} is not {@code SUCCESS}; its message
   * says the status, the message, whether anything is stored, the attempts, then {@code detail}
   * (why the client stopped retrying, or empty).
   */
  public WriteException(WriteResult result, String detail, Throwable cause) {
    super(describe(result, detail == null ? "" : detail), cause, true);
    this.result = result;
  }

  /** The whole result: durability, outcome, status, message, idempotency key, attempts. */
  public WriteResult result() {
    return result;
  }

  /** How the last attempt ended. */
  public Outcome outcome() {
    return result.outcome();
  }

  /** The gRPC status of the last attempt ({@code OK} when the node answered {@code FAILED} or {@code UNKNOWN}). */
  public GrpcStatus status() {
    return result.status();
  }

  /** {@code FAILED}: certainly not stored. {@code UNKNOWN}: may be stored. */
  public Durability durable() {
    return result.durable();
  }

  /** How many attempts the client made. */
  public int attempts() {
    return result.attempts();
  }

  private static String describe(WriteResult result, String detail) {
    StringBuilder text = new StringBuilder().append(result.status().name()).append(": ")
        .append(result.message().isEmpty() ? result.outcome().toString().toLowerCase() : result.message())
        .append(" (");
    switch (result.durable()) {
      case FAILED -> text.append("nothing stored");
      case UNKNOWN -> text.append(result.idempotencyKey().isEmpty()
          ? "the entry may be stored; it had no idempotency key, so writing it again may store it twice"
          : "the entry may be stored; write it again with idempotency key \"" + result.idempotencyKey()
              + "\" to find out without storing it twice");
      case SUCCESS -> text.append("stored as ").append(result.entryId());
    }
    text.append("; ").append(result.attempts()).append(result.attempts() == 1 ? " attempt" : " attempts");
    if (!detail.isEmpty()) {
      text.append("; ").append(detail);
    }
    return text.append(')').toString();
  }
}
