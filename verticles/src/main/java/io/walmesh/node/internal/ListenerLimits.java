package io.walmesh.node.internal;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many connections a listener (gRPC or admin) keeps open, and how long an idle one lives.
 * Without them, idle sockets fill the process's file descriptors, and then the log cannot open a
 * file. A connection past the cap is closed at once (HTTP/2: GOAWAY) and the refusal is logged at
 * most every 10 s.
 *
 * @param maxConnections connections open at once; past it new ones are closed
 * @param idleTimeoutMs a connection idle for this long is closed (gRPC: nothing from the client; admin: no traffic
 *                      either way); 0 keeps idle connections
 */
public record ListenerLimits(int maxConnections, long idleTimeoutMs) {
  /** gRPC: {@value} connections. */
  public static final int DEFAULT_GRPC_MAX_CONNECTIONS = 4096;
  /** gRPC: idle connections close after {@value} ms. */
  public static final long DEFAULT_GRPC_IDLE_TIMEOUT_MS = 300_000;
  /** admin: {@value} connections. */
  public static final int DEFAULT_ADMIN_MAX_CONNECTIONS = 256;
  /** admin: idle connections close after {@value} ms. */
  public static final long DEFAULT_ADMIN_IDLE_TIMEOUT_MS = 60_000;

  public static ListenerLimits grpcDefaults() {
    return new ListenerLimits(DEFAULT_GRPC_MAX_CONNECTIONS, DEFAULT_GRPC_IDLE_TIMEOUT_MS);
  }

  public static ListenerLimits adminDefaults() {
    return new ListenerLimits(DEFAULT_ADMIN_MAX_CONNECTIONS, DEFAULT_ADMIN_IDLE_TIMEOUT_MS);
  }

  public ListenerLimits {
    if (maxConnections < 1) {
      throw new IllegalArgumentException("max-connections must be at least 1, got " + maxConnections);
    }
    if (idleTimeoutMs < 0) {
      throw new IllegalArgumentException("idle-timeout-ms must not be negative, got " + idleTimeoutMs);
    }
  }

  /** Sets the idle timeout on the admin listener's options: a connection with no traffic either way is idle. */
  public HttpServerOptions apply(HttpServerOptions options) {
    if (idleTimeoutMs > 0) {
      options.setIdleTimeoutUnit(TimeUnit.MILLISECONDS).setIdleTimeout(timeout());
    }
    return options;
  }

  /**
   * Sets the idle timeout on the gRPC listener's options: a connection that sent the node nothing for the timeout is
   * idle. Every call, stream message, window update and ping from the client resets the clock; the node's answers do
   * not, since each one answers something the client sent. Watching writes too (as {@link #apply} does) costs a
   * listener on every HTTP/2 frame the node writes, three per unary call: about 6 % of the node's CPU samples under
   * unary writes (docs/performance.md).
   */
  public HttpServerOptions applyToGrpc(HttpServerOptions options) {
    if (idleTimeoutMs > 0) {
      options.setIdleTimeoutUnit(TimeUnit.MILLISECONDS).setReadIdleTimeout(timeout());
    }
    return options;
  }

  private int timeout() {
    return (int) Math.min(Integer.MAX_VALUE, idleTimeoutMs);
  }

  /** A connection handler that enforces {@link #maxConnections} for one listener; share it among its servers. */
  public ConnectionCap connectionCap(String listener) {
    return new ConnectionCap(listener, maxConnections);
  }

  /** Closes each new connection past the listener's cap ({@link #admit} also says whether it did). */
  public static final class ConnectionCap implements Handler<HttpConnection> {
    private static final Logger log = LoggerFactory.getLogger(ListenerLimits.class);
    private final String listener;
    private final int max;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong lastWarning = new AtomicLong();

    ConnectionCap(String listener, int max) {
      this.listener = listener;
      this.max = max;
    }

    @Override
    public void handle(HttpConnection connection) {
      admit(connection);
    }

    /** Closes a connection past the cap; answers whether it was admitted. */
    public boolean admit(HttpConnection connection) {
      if (open.incrementAndGet() > max) {
        open.decrementAndGet();
        long now = System.currentTimeMillis();
        long last = lastWarning.get();
        if (now - last > 10_000 && lastWarning.compareAndSet(last, now)) {
          log.warn("{} listener: {} connections open, its max-connections; closing new connections (from {})",
              listener, max, connection.remoteAddress());
        }
        connection.close();
        return false;
      }
      connection.closeHandler(v -> open.decrementAndGet());
      return true;
    }
  }
}
