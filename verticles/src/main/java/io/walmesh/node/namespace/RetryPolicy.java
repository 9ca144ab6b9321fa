package io.walmesh.node.namespace;

import io.vertx.core.json.JsonObject;
import io.walmesh.spi.config.ConfigException;
import io.walmesh.spi.config.ConfigReader;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How a namespace retries failed deliveries: exponential backoff with jitter, then the DLQ.
 *
 * @param maxAttempts delivery attempts before the DLQ, default {@value #DEFAULT_MAX_ATTEMPTS}
 * @param initialBackoffMs wait after the first failure, default {@value #DEFAULT_INITIAL_BACKOFF_MS}
 * @param multiplier growth of the wait per attempt, default {@value #DEFAULT_MULTIPLIER}
 * @param maxBackoffMs cap of the wait, default {@value #DEFAULT_MAX_BACKOFF_MS}
 * @param jitter the wait is drawn uniformly in {@code [wait * (1 - jitter), wait]}, default {@value #DEFAULT_JITTER}
 */
public record RetryPolicy(int maxAttempts, long initialBackoffMs, double multiplier, long maxBackoffMs, double jitter) {
  public static final int DEFAULT_MAX_ATTEMPTS = 10;
  public static final long DEFAULT_INITIAL_BACKOFF_MS = 1_000;
  public static final double DEFAULT_MULTIPLIER = 2.0;
  public static final long DEFAULT_MAX_BACKOFF_MS = 300_000;
  public static final double DEFAULT_JITTER = 0.2;
  static final Set<String> FIELDS = Set.of("max-attempts", "initial-backoff-ms", "multiplier", "max-backoff-ms", "jitter");

  static RetryPolicy read(ConfigReader reader) {
    reader.rejectUnknown(FIELDS);
    RetryPolicy policy = new RetryPolicy(
        reader.optInt("max-attempts", DEFAULT_MAX_ATTEMPTS, 1, 1_000_000),
        reader.optLong("initial-backoff-ms", DEFAULT_INITIAL_BACKOFF_MS, 1, 86_400_000L * 30),
        reader.optDouble("multiplier", DEFAULT_MULTIPLIER, 1.0, 100.0),
        reader.optLong("max-backoff-ms", DEFAULT_MAX_BACKOFF_MS, 1, 86_400_000L * 30),
        reader.optDouble("jitter", DEFAULT_JITTER, 0.0, 1.0));
    if (policy.maxBackoffMs < policy.initialBackoffMs) {
      throw new ConfigException(reader.field("max-backoff-ms"), "must be at least initial-backoff-ms (" + policy.initialBackoffMs + ")");
    }
    return policy;
  }

  /** The wait before attempt {@code failedAttempts + 1}, after {@code failedAttempts} failures. */
  public long backoffMs(int failedAttempts) {
    double wait = initialBackoffMs * Math.pow(multiplier, Math.max(0, failedAttempts - 1));
    wait = Math.min(wait, maxBackoffMs);
    double low = wait * (1 - jitter);
    return Math.round(low + ThreadLocalRandom.current().nextDouble() * (wait - low));
  }

  JsonObject toJson() {
    return new JsonObject().put("max-attempts", maxAttempts).put("initial-backoff-ms", initialBackoffMs)
        .put("multiplier", multiplier).put("max-backoff-ms", maxBackoffMs).put("jitter", jitter);
  }
}
