package io.walmesh.node.internal;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which socket transport the node's Vert.x runs on, and on how many event loops ({@link #eventLoops()}). On Linux
 * (x86-64 and ARM64) it is Netty's native epoll transport, which the node ships: fewer system calls and copies per
 * request than Java NIO, the way grpc-java's own server runs. Elsewhere, or with {@code -Dwalmesh.native-transport=false}, it is Java NIO; the node says which
 * at start.
 */
public final class NetworkTransport {
  private static final Logger log = LoggerFactory.getLogger(NetworkTransport.class);
  /** The system property that turns the native transport off ({@code false}); anything else keeps it on. */
  public static final String PROPERTY = "walmesh.native-transport";

  private NetworkTransport() {
  }

  /** The system property that sets how many event loops the node runs (default: one per core). */
  public static final String EVENT_LOOPS = "walmesh.event-loops";

  /**
   * Vert.x options that prefer the native transport unless {@link #PROPERTY} is {@code false}, with
   * {@link #eventLoops()} event loops.
   */
  public static VertxOptions options() {
    return new VertxOptions().setPreferNativeTransport(preferred()).setEventLoopPoolSize(eventLoops());
  }

  /**
   * How many event loops the node runs: {@link #EVENT_LOOPS}, a number from 1 to 1024, or one per core when it is not
   * set; throws {@link IllegalStateException} naming the property when it is anything else.
   *
   * <p>One per core, not Vert.x's default of two: nothing of the node blocks an event loop (the blocked-thread checker
   * says so when something does), the gateway runs one instance per core, and every extra loop is another thread the
   * hand-offs of a write wake up and the OS schedules on the same cores. A/B runs on 2 cores
   * (docs/performance.md): 0.85x the node's CPU per unary write on Kafka, 1.06x the throughput.
   */
  public static int eventLoops() {
    String value = System.getProperty(EVENT_LOOPS);
    int perCore = Math.max(1, Runtime.getRuntime().availableProcessors());
    if (value == null || value.isBlank()) {
      return perCore;
    }
    try {
      int loops = Integer.parseInt(value.trim());
      if (loops >= 1 && loops <= 1024) {
        return loops;
      }
    } catch (NumberFormatException notANumber) {
      // named below
    }
    throw new IllegalStateException("-D" + EVENT_LOOPS + "=" + value + ": use a number of event loops from 1 to 1024,"
        + " or leave it unset for one per core (" + perCore + " here)");
  }

  /** Throws {@link IllegalStateException} naming the property when its value is neither true nor false. */
  public static boolean preferred() {
    String value = System.getProperty(PROPERTY, "true").trim();
    if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
      throw new IllegalStateException("-D" + PROPERTY + "=" + value + ": use true (the default: Netty's native epoll"
          + " transport where it loads) or false (Java NIO)");
    }
    return Boolean.parseBoolean(value);
  }

  /**
   * Whether {@code failure} (or a cause) is a bind to an address already in use: a {@link java.net.BindException} on
   * Java NIO, a native I/O exception naming the error on epoll.
   */
  public static boolean addressInUse(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof java.net.BindException
          || t instanceof java.io.IOException && String.valueOf(t.getMessage()).contains("Address already in use")) {
        return true;
      }
    }
    return false;
  }

  /** Logs the transport {@code vertx} runs on, and why not the native one when it was wanted and did not load. */
  public static void report(Vertx vertx) {
    int count = eventLoops();
    String loops = count + (count == 1 ? " event loop" : " event loops") + " (-D" + EVENT_LOOPS + ")";
    if (vertx.isNativeTransportEnabled()) {
      log.info("Network transport: native epoll, {}", loops);
    } else if (!preferred()) {
      log.info("Network transport: Java NIO (-D{}=false), {}", PROPERTY, loops);
    } else {
      Throwable cause = vertx.unavailableNativeTransportCause();
      log.info("Network transport: Java NIO; the native epoll transport did not load here ({}); {}",
          cause == null ? "no reason given" : cause.toString(), loops);
    }
  }
}
