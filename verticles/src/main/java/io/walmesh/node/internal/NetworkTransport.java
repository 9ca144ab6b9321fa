package io.walmesh.node.internal;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which socket transport the node's Vert.x runs on. On Linux (x86-64 and ARM64) it is Netty's native epoll
 * transport, which the node ships: fewer system calls and copies per request than Java NIO, the way grpc-java's
 * own server runs. Elsewhere, or with {@code -Dwalmesh.native-transport=false}, it is Java NIO; the node says which
 * at start.
 */
public final class NetworkTransport {
  private static final Logger log = LoggerFactory.getLogger(NetworkTransport.class);
  /** The system property that turns the native transport off ({@code false}); anything else keeps it on. */
  public static final String PROPERTY = "walmesh.native-transport";

  private NetworkTransport() {
  }

  /** Vert.x options that prefer the native transport unless {@link #PROPERTY} is {@code false}. */
  public static VertxOptions options() {
    return new VertxOptions().setPreferNativeTransport(preferred());
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
    if (vertx.isNativeTransportEnabled()) {
      log.info("Network transport: native epoll");
    } else if (!preferred()) {
      log.info("Network transport: Java NIO (-D{}=false)", PROPERTY);
    } else {
      Throwable cause = vertx.unavailableNativeTransportCause();
      log.info("Network transport: Java NIO; the native epoll transport did not load here ({})",
          cause == null ? "no reason given" : cause.toString());
    }
  }
}
