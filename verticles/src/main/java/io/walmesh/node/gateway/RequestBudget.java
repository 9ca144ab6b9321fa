package io.walmesh.node.gateway;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A node-wide bound on the bytes of decoded write requests held while they are being stored. Past
 * it a write is shed at once with {@code RESOURCE_EXHAUSTED} instead of growing the heap until the
 * JVM runs out of memory; one gateway budget is shared by every gateway instance of the node.
 */
public final class RequestBudget {
  /** {@value} bytes (256 MiB), or a quarter of the maximum heap when that is smaller. */
  public static final long DEFAULT_MAX_BYTES = Math.min(256L << 20, Runtime.getRuntime().maxMemory() / 4);

  private final long maxBytes;
  private final AtomicLong held = new AtomicLong();

  public RequestBudget(long maxBytes) {
    if (maxBytes < 1) {
      throw new IllegalArgumentException("max-request-bytes-in-flight must be positive, got " + maxBytes);
    }
    this.maxBytes = maxBytes;
  }

  /** Takes {@code bytes} from the budget, or returns false (taking nothing) when that would pass the limit. */
  boolean tryAcquire(long bytes) {
    while (true) {
      long now = held.get();
      if (now + bytes > maxBytes && now > 0) {
        return false; // one request alone may always pass: the per-message limit bounds it
      }
      if (held.compareAndSet(now, now + bytes)) {
        return true;
      }
    }
  }

  void release(long bytes) {
    held.addAndGet(-bytes);
  }

  /** Bytes held now. */
  public long held() {
    return held.get();
  }

  String refusal() {
    return "this node holds " + held.get() + " bytes of write requests in flight, near its limit of " + maxBytes
        + " bytes (max-request-bytes-in-flight); back off and retry";
  }
}
