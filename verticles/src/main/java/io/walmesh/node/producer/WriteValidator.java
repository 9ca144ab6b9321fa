package io.walmesh.node.producer;

import io.walmesh.node.namespace.NamespaceConfig;
import io.walmesh.protocol.WriteFailure;
import io.walmesh.protocol.v1.Lifecycle;
import io.walmesh.protocol.v1.WriteToLogRequest;

/** Checks a write against its namespace's config; the message of a refusal names the bad field. */
final class WriteValidator {
  /** Entries may be delayed by at most ten years. */
  static final long MAX_DELAY_MS = 10L * 365 * 86_400_000L;
  static final int MAX_KEY_BYTES = 4096;

  private WriteValidator() {
  }

  /** A refused write. */
  static final class Refusal extends RuntimeException {
    final WriteFailure failure;

    Refusal(WriteFailure failure, String message) {
      super(message, null, false, false);
      this.failure = failure;
    }
  }

  static void validate(NamespaceConfig config, WriteToLogRequest request) {
    if (request.getPayload().size() > config.maxPayloadBytes()) {
      throw invalid("payload is " + request.getPayload().size() + " bytes, over namespace " + config.name()
          + "'s max-payload-bytes of " + config.maxPayloadBytes());
    }
    if (request.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_KEY_BYTES) {
      throw invalid("key is longer than " + MAX_KEY_BYTES + " bytes");
    }
    if (request.getIdempotencyKey().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_KEY_BYTES) {
      throw invalid("idempotency_key is longer than " + MAX_KEY_BYTES + " bytes");
    }
    if (request.hasTarget() && !request.getTarget().getName().isEmpty()
        && config.target(request.getTarget().getName()).isEmpty()) {
      throw invalid("target.name \"" + request.getTarget().getName() + "\" is not a target of namespace "
          + config.name() + "; its targets are " + config.targets().stream().map(t -> t.name()).toList());
    }
    if (request.hasTarget() && request.getTarget().getName().isEmpty() && request.getTarget().getAttributesCount() > 0) {
      throw invalid("target.attributes need target.name");
    }
    Lifecycle lifecycle = request.getLifecycle();
    if (lifecycle.getDelayMs() < 0) {
      throw invalid("lifecycle.delay_ms must not be negative, got " + lifecycle.getDelayMs());
    }
    if (lifecycle.getDelayMs() > MAX_DELAY_MS) {
      throw invalid("lifecycle.delay_ms must be at most " + MAX_DELAY_MS + " (ten years), got " + lifecycle.getDelayMs());
    }
    if (lifecycle.getDelayMs() > 0 && lifecycle.getDeliverAtMs() > 0) {
      throw invalid("lifecycle: set delay_ms or deliver_at_ms, not both");
    }
    if (lifecycle.getDeliverAtMs() < 0) {
      throw invalid("lifecycle.deliver_at_ms must not be negative, got " + lifecycle.getDeliverAtMs());
    }
    if (lifecycle.getWriteTimeMs() < 0) {
      throw invalid("lifecycle.write_time_ms must not be negative, got " + lifecycle.getWriteTimeMs());
    }
  }

  /** When the entry is due: the requested instant, or write time + delay (write time: as given, else now). */
  static long dueAt(Lifecycle lifecycle, long now) {
    if (lifecycle.getDeliverAtMs() > 0) {
      return lifecycle.getDeliverAtMs();
    }
    long writeTime = lifecycle.getWriteTimeMs() > 0 ? lifecycle.getWriteTimeMs() : now;
    return writeTime + lifecycle.getDelayMs();
  }

  private static Refusal invalid(String message) {
    return new Refusal(WriteFailure.INVALID_ARGUMENT, message);
  }
}
