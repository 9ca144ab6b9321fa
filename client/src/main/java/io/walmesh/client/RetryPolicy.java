package io.walmesh.client;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How the client retries a write: exponential backoff with jitter, capped, inside the call's
 * deadline. Which outcomes are retried is fixed by the client, not by this policy (see
 * {@link WalmeshClient}); this says how often and how fast. The wait before retry {@code n}
 * (after {@code n} failed attempts) is {@code min(maxBackoff, initialBackoff * multiplier^(n-1))},
 * drawn uniformly in {@code [wait * (1 - jitter), wait]} — the same rule a namespace's
 * {@code retry} section uses for deliveries.
 *
 * <p>JSON form: {@code {"max-attempts": 5, "initial-backoff-ms": 100, "multiplier": 2.0,
 * "max-backoff-ms": 2000, "jitter": 0.2}}.
 */
public final class RetryPolicy {
  /** Attempts per write, the first included: {@value}. */
  public static final int DEFAULT_MAX_ATTEMPTS = 5;
  /** Wait after the first failed attempt: 100 ms. */
  public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(100);
  /** Growth of the wait per attempt: {@value}. */
  public static final double DEFAULT_MULTIPLIER = 2.0;
  /** Cap of the wait: 2 s. */
  public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(2);
  /** Fraction of the wait drawn at random, so clients that failed together do not retry together: {@value}. */
  public static final double DEFAULT_JITTER = 0.2;

  private static final Set<String> FIELDS = Set.of("max-attempts", "initial-backoff-ms", "multiplier",
      "max-backoff-ms", "jitter");

  private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
  private Duration initialBackoff = DEFAULT_INITIAL_BACKOFF;
  private double multiplier = DEFAULT_MULTIPLIER;
  private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
  private double jitter = DEFAULT_JITTER;

  /** The default policy. */
  public RetryPolicy() {
  }

  /** A copy of {@code other}. */
  public RetryPolicy(RetryPolicy other) {
    this.maxAttempts = other.maxAttempts;
    this.initialBackoff = other.initialBackoff;
    this.multiplier = other.multiplier;
    this.maxBackoff = other.maxBackoff;
    this.jitter = other.jitter;
  }

  /** From its JSON form; absent fields keep their defaults, unknown or bad ones throw {@link IllegalArgumentException}. */
  public RetryPolicy(JsonObject json) {
    for (String field : json.fieldNames()) {
      if (!FIELDS.contains(field)) {
        throw new IllegalArgumentException("retry." + field + ": unknown field; known fields are " + FIELDS);
      }
    }
    try {
      maxAttempts(json.getInteger("max-attempts", DEFAULT_MAX_ATTEMPTS));
      initialBackoff(Duration.ofMillis(json.getLong("initial-backoff-ms", DEFAULT_INITIAL_BACKOFF.toMillis())));
      multiplier(json.getDouble("multiplier", DEFAULT_MULTIPLIER));
      maxBackoff(Duration.ofMillis(json.getLong("max-backoff-ms", DEFAULT_MAX_BACKOFF.toMillis())));
      jitter(json.getDouble("jitter", DEFAULT_JITTER));
    } catch (ClassCastException e) {
      throw new IllegalArgumentException("retry: a field has the wrong type: " + e.getMessage(), e);
    }
  }

  /** A policy that never retries: one attempt per write. */
  public static RetryPolicy none() {
    return new RetryPolicy().maxAttempts(1);
  }

  /** Attempts per write, the first included. */
  public int maxAttempts() {
    return maxAttempts;
  }

  /** Attempts per write, the first included; at least 1 (1: no retries). The deadline may end a write sooner. */
  public RetryPolicy maxAttempts(int maxAttempts) {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("retry.max-attempts must be at least 1, got " + maxAttempts);
    }
    this.maxAttempts = maxAttempts;
    return this;
  }

  /** The wait after the first failed attempt. */
  public Duration initialBackoff() {
    return initialBackoff;
  }

  /** The wait after the first failed attempt; at least 1 ms. */
  public RetryPolicy initialBackoff(Duration initialBackoff) {
    this.initialBackoff = positive(initialBackoff, "initial-backoff-ms");
    return this;
  }

  /** How much the wait grows per failed attempt. */
  public double multiplier() {
    return multiplier;
  }

  /** How much the wait grows per failed attempt; at least 1.0. */
  public RetryPolicy multiplier(double multiplier) {
    if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
      throw new IllegalArgumentException("retry.multiplier must be at least 1.0, got " + multiplier);
    }
    this.multiplier = multiplier;
    return this;
  }

  /** The longest wait between two attempts. */
  public Duration maxBackoff() {
    return maxBackoff;
  }

  /** The longest wait between two attempts; at least 1 ms. A wait is never longer, even below the initial backoff. */
  public RetryPolicy maxBackoff(Duration maxBackoff) {
    this.maxBackoff = positive(maxBackoff, "max-backoff-ms");
    return this;
  }

  /** The fraction of each wait drawn at random. */
  public double jitter() {
    return jitter;
  }

  /** The fraction of each wait drawn at random, from 0.0 (none) to 1.0 (anywhere from 0 to the wait). */
  public RetryPolicy jitter(double jitter) {
    if (!(jitter >= 0.0 && jitter <= 1.0)) {
      throw new IllegalArgumentException("retry.jitter must be between 0.0 and 1.0, got " + jitter);
    }
    this.jitter = jitter;
    return this;
  }

  /** The wait in ms before the next attempt, after {@code failedAttempts} (at least 1) failed attempts. */
  public long backoffMs(int failedAttempts) {
    double wait = initialBackoff.toMillis() * Math.pow(multiplier, Math.max(0, failedAttempts - 1));
    wait = Math.min(wait, maxBackoff.toMillis());
    double low = wait * (1 - jitter);
    return Math.round(low + ThreadLocalRandom.current().nextDouble() * (wait - low));
  }

  /** The JSON form, every field set. */
  public JsonObject toJson() {
    return new JsonObject().put("max-attempts", maxAttempts).put("initial-backoff-ms", initialBackoff.toMillis())
        .put("multiplier", multiplier).put("max-backoff-ms", maxBackoff.toMillis()).put("jitter", jitter);
  }

  @Override
  public String toString() {
    return toJson().encode();
  }

  private static Duration positive(Duration duration, String field) {
    Objects.requireNonNull(duration, field);
    if (duration.toMillis() < 1) {
      throw new IllegalArgumentException("retry." + field + " must be at least 1 ms, got " + duration.toMillis() + " ms");
    }
    return duration;
  }
}
