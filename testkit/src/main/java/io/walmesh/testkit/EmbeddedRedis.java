package io.walmesh.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import redis.embedded.RedisServer;

/**
 * A real redis-server (the binary shipped by {@code com.github.codemonstur:embedded-redis}) on
 * 127.0.0.1 and a free port, without persistence. {@link #shared()} starts one per test JVM and
 * stops it when the JVM exits; {@link #stop()} and {@link #start()} take it down and bring it back
 * on the same port, which is how tests simulate an outage (its data does not survive). Starts in
 * about 0.1 s.
 */
public final class EmbeddedRedis implements AutoCloseable {
  private static EmbeddedRedis shared;

  private final int port;
  private RedisServer server;

  private EmbeddedRedis(int port) {
    this.port = port;
  }

  /** The server of this test JVM, started on first use and stopped at JVM exit. */
  public static synchronized EmbeddedRedis shared() {
    if (shared == null) {
      EmbeddedRedis redis = new EmbeddedRedis(FreePorts.next());
      redis.start();
      Runtime.getRuntime().addShutdownHook(new Thread(redis::close, "embedded-redis-stop"));
      shared = redis;
    }
    return shared;
  }

  /** Starts a new server; its own lifecycle is the caller's. */
  public static EmbeddedRedis startNew() {
    EmbeddedRedis redis = new EmbeddedRedis(FreePorts.next());
    redis.start();
    return redis;
  }

  /** Starts the server (again, after {@link #stop()}) on the same port, empty. */
  public synchronized void start() {
    if (server != null) {
      return;
    }
    try {
      RedisServer started = RedisServer.newRedisServer()
          .port(port)
          .bind("127.0.0.1")
          .setting("save \"\"")
          .setting("appendonly no")
          .setting("maxmemory 64mb")
          .onShutdownForceStop(true)
          .build();
      started.start();
      server = started;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start redis-server on 127.0.0.1:" + port, e);
    }
  }

  /** Stops the server; connections to it break. */
  public synchronized void stop() {
    if (server == null) {
      return;
    }
    try {
      server.stop();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      server = null;
    }
  }

  public synchronized boolean isRunning() {
    return server != null && server.isActive();
  }

  public int port() {
    return port;
  }

  /** {@code redis://127.0.0.1:<port>}. */
  public String endpoint() {
    return "redis://127.0.0.1:" + port;
  }

  @Override
  public void close() {
    stop();
  }
}
