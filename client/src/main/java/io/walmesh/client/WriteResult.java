package io.walmesh.client;

import io.vertx.grpc.common.GrpcStatus;
import java.util.Objects;

/**
 * What became of one write, after all its attempts.
 *
 * <p>{@link WalmeshClient#write} succeeds with a result only when {@link #durable()} is
 * {@link Durability#SUCCESS}; otherwise it fails with a {@link WriteException} that carries the
 * result. {@link WalmeshClient#writeBatch} answers one result per request, whatever it says.
 *
 * @param durable whether the entry is stored, considering every attempt: {@code UNKNOWN} when any
 *     attempt may have stored it and none confirmed it
 * @param outcome how the last attempt ended
 * @param status the gRPC status of the last attempt: {@code OK} when the node answered with a
 *     response (even {@code durable = FAILED} or {@code UNKNOWN}); the node's refusal status; or
 *     the client's own {@code UNAVAILABLE} (unreachable), {@code DEADLINE_EXCEEDED} or
 *     {@code CANCELLED} (closed)
 * @param message why, when the entry is not {@code SUCCESS}: the node's message or the client's;
 *     empty on success
 * @param entryId the stored entry's id, the same for every write with this idempotency key inside
 *     the namespace's dedupe window; empty unless stored
 * @param idempotencyKey the idempotency key every attempt carried (the request's, or the one the
 *     client generated); empty when the request had none and automatic keys are off
 * @param attempts how many attempts the client made, at least 1 (0 only when the client was closed
 *     before the first)
 */
public record WriteResult(Durability durable, Outcome outcome, GrpcStatus status, String message, String entryId,
                          String idempotencyKey, int attempts) {

  public WriteResult {
    Objects.requireNonNull(durable, "durable");
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(status, "status");
    message = message == null ? "" : message;
    entryId = entryId == null ? "" : entryId;
    idempotencyKey = idempotencyKey == null ? "" : idempotencyKey;
  }

  /** Whether the entry is durably stored ({@link #durable()} is {@link Durability#SUCCESS}). */
  public boolean isDurable() {
    return durable == Durability.SUCCESS;
  }

  /** This result as the exception {@link WalmeshClient#write} fails with, e.g. to rethrow a batch item's failure. */
  public WriteException toException() {
    return new WriteException(this, "", null);
  }
}
