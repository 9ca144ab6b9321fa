package io.walmesh.client;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * How a {@link WalmeshClient} writes, whatever its transport: the default deadline, the retry
 * policy and whether it gives idempotency keys to requests that have none.
 *
 * <p>JSON form: {@code {"deadline-ms": 10000, "auto-idempotency-keys": true, "retry": {...}}}, with
 * {@code retry} as in {@link RetryPolicy}.
 */
public final class WalmeshClientOptions {
  /** The deadline of a write that names none: 10 s, as long as the gateway waits for a call without a deadline. */
  public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(10);
  /** Give a random idempotency key to every request that has none: {@value}. */
  public static final boolean DEFAULT_AUTO_IDEMPOTENCY_KEYS = true;

  private static final Set<String> FIELDS = Set.of("deadline-ms", "auto-idempotency-keys", "retry");

  private Duration deadline = DEFAULT_DEADLINE;
  private RetryPolicy retryPolicy = new RetryPolicy();
  private boolean autoIdempotencyKeys = DEFAULT_AUTO_IDEMPOTENCY_KEYS;

  /** The defaults. */
  public WalmeshClientOptions() {
  }

  /** A deep copy of {@code other}. */
  public WalmeshClientOptions(WalmeshClientOptions other) {
    this.deadline = other.deadline;
    this.retryPolicy = new RetryPolicy(other.retryPolicy);
    this.autoIdempotencyKeys = other.autoIdempotencyKeys;
  }

  /** From the JSON form; absent fields keep their defaults, unknown or bad ones throw {@link IllegalArgumentException}. */
  public WalmeshClientOptions(JsonObject json) {
    for (String field : json.fieldNames()) {
      if (!FIELDS.contains(field)) {
        throw new IllegalArgumentException(field + ": unknown field; known fields are " + FIELDS);
      }
    }
    try {
      deadline(Duration.ofMillis(json.getLong("deadline-ms", DEFAULT_DEADLINE.toMillis())));
      autoIdempotencyKeys(json.getBoolean("auto-idempotency-keys", DEFAULT_AUTO_IDEMPOTENCY_KEYS));
      JsonObject retry = json.getJsonObject("retry");
      retryPolicy(retry == null ? new RetryPolicy() : new RetryPolicy(retry));
    } catch (ClassCastException e) {
      throw new IllegalArgumentException("a field has the wrong type: " + e.getMessage(), e);
    }
  }

  /** The deadline of a write that names none. */
  public Duration deadline() {
    return deadline;
  }

  /**
   * The time a write may take, all attempts and waits included, when the call names none; at
   * least 1 ms.
   */
  public WalmeshClientOptions deadline(Duration deadline) {
    this.deadline = positive(deadline, "deadline");
    return this;
  }

  /** How often and how fast to retry. */
  public RetryPolicy retryPolicy() {
    return retryPolicy;
  }

  /** How often and how fast to retry; {@link RetryPolicy#none()} turns retries off. */
  public WalmeshClientOptions retryPolicy(RetryPolicy retryPolicy) {
    this.retryPolicy = Objects.requireNonNull(retryPolicy, "retryPolicy");
    return this;
  }

  /** Whether requests without an idempotency key get a random one. */
  public boolean autoIdempotencyKeys() {
    return autoIdempotencyKeys;
  }

  /**
   * Whether a request without an idempotency key gets a random one (a UUID) before its first
   * attempt, so that every retry carries the same key and the node stores the entry once. Off,
   * a request without a key is not retried after an attempt that may have stored it.
   */
  public WalmeshClientOptions autoIdempotencyKeys(boolean autoIdempotencyKeys) {
    this.autoIdempotencyKeys = autoIdempotencyKeys;
    return this;
  }

  /** The JSON form, every field set. */
  public JsonObject toJson() {
    return new JsonObject().put("deadline-ms", deadline.toMillis()).put("auto-idempotency-keys", autoIdempotencyKeys)
        .put("retry", retryPolicy.toJson());
  }

  @Override
  public String toString() {
    return toJson().encode();
  }

  static Duration positive(Duration duration, String name) {
    Objects.requireNonNull(duration, name);
    if (duration.isNegative() || duration.toMillis() < 1) {
      throw new IllegalArgumentException(name + " must be at least 1 ms, got " + duration);
    }
    return duration;
  }
}
