package io.walmesh.node.internal;

/**
 * When to log an event that may repeat many times a second (a target that is down, a backend that refuses): at most
 * once per interval, with how many happened since the last line. The rest go to metrics and debug logging. Not
 * thread-safe: one per verticle, used on its context.
 */
public final class LogThrottle {
  private final long intervalMs;
  private long lastLoggedMs = Long.MIN_VALUE / 2;
  private long since;

  public LogThrottle(long intervalMs) {
    this.intervalMs = intervalMs;
  }

  /**
   * Counts one occurrence at {@code nowMs}. Answers how many occurred since the last logged one, this one included,
   * when it is time to log; 0 when this one should not be logged.
   */
  public long occurred(long nowMs) {
    since++;
    if (nowMs - lastLoggedMs < intervalMs) {
      return 0;
    }
    lastLoggedMs = nowMs;
    long count = since;
    since = 0;
    return count;
  }
}
