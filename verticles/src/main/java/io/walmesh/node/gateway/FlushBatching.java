package io.walmesh.node.gateway;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.vertx.core.http.HttpConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One flush per turn of the gateway's event loop instead of one per answered call.
 *
 * <p>Vert.x's HTTP/2 handler defers flushes only while it reads a connection. A write's answer is
 * written later, in the task that brings the producer's outcomes back ({@link Mailbox}), so each
 * call's headers, message and trailers were flushed to the socket on their own: one system call
 * per answer, and as many wake-ups of the client. Netty's {@link FlushConsolidationHandler}, put
 * in front of Vert.x's handler, turns the flushes of one event-loop task into one, run right after
 * it. Over TLS it sits after the TLS handler, so the answers of a burst are also encrypted
 * together. An answer waits for nothing but the end of the task that wrote it.
 */
final class FlushBatching {
  private static final Logger log = LoggerFactory.getLogger(FlushBatching.class);
  static final String HANDLER = "walmesh-flush-batching";
  /** Flushes consolidated while Vert.x reads before one goes through anyway (Netty's default). */
  private static final int FLUSHES_WHILE_READING = FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES;
  private static volatile boolean warned;
  /** {@code -Dwalmesh.grpc.flush-batching=false} turns it off (an escape hatch; answers are then flushed one by one). */
  static final boolean ENABLED = !"false".equals(System.getProperty("walmesh.grpc.flush-batching"));

  private FlushBatching() {
  }

  /** Installs the handler on a new connection of the gateway's server; answers whether it could. */
  static boolean install(HttpConnection connection) {
    if (!ENABLED) {
      return false;
    }
    // Vert.x's connections are ConnectionBase: the one way to reach the Netty pipeline (internal API, pinned version)
    if (!(connection instanceof io.vertx.core.net.impl.ConnectionBase base)) {
      if (!warned) {
        warned = true;
        log.warn("gRPC gateway: connections of type {} do not expose their pipeline; answers are flushed one by one",
            connection.getClass().getName());
      }
      return false;
    }
    ChannelHandlerContext vertxHandler = base.channelHandlerContext();
    if (vertxHandler.pipeline().get(HANDLER) == null) {
      vertxHandler.pipeline().addBefore(vertxHandler.name(), HANDLER,
          new FlushConsolidationHandler(FLUSHES_WHILE_READING, true));
    }
    return true;
  }
}
