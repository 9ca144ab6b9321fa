package io.walmesh.node.gateway;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.vertx.core.http.HttpConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One flush per burst of answers on a connection instead of three per answered call.
 *
 * <p>Vert.x's HTTP/2 handler defers flushes only while it reads a connection. A write's answer is written later, in
 * the task that brings the producer's outcomes back ({@link Mailbox}), so each call's headers, message and trailers
 * were each flushed on their own: every flush runs Netty's HTTP/2 flow controller over the connection, and then a
 * system call. Two handlers fix that:
 * <ul>
 *   <li>Netty's {@link FlushConsolidationHandler}, in front of Vert.x's handler, turns the socket flushes of one
 *       event-loop task into one, run right after it. Over TLS it sits after the TLS handler, so the answers of a
 *       burst are also encrypted together.</li>
 *   <li>{@link Burst}, between it and Vert.x's handler: before the first answer of a task on a connection it tells
 *       Vert.x's handler that a read of nothing has begun, and ends that read once the task is done. Vert.x then
 *       writes the burst's frames without flushing each, and flushes once when the read ends, as it does for the
 *       answers it writes while reading. The empty read is a {@link Burst#SENTINEL} object, not bytes: the HTTP/2
 *       decoder passes it on untouched and never asks the socket for more, and a handler after Vert.x's swallows it.
 *       It is not sent while a real read is under way (the real read's end flushes then).</li>
 * </ul>
 * An answer waits for nothing but the end of the task that wrote it. Both rest on Vert.x internals (the connection's
 * Netty pipeline, the handler's read flag) of the pinned version; {@code FlushBatchingTest} checks the answers still
 * arrive, in order, many per flush.
 */
final class FlushBatching {
  private static final Logger log = LoggerFactory.getLogger(FlushBatching.class);
  static final String HANDLER = "walmesh-flush-batching";
  static final String BURST = "walmesh-answer-burst";
  static final String SINK = "walmesh-answer-burst-sink";
  /** Flushes consolidated while Vert.x reads before one goes through anyway (Netty's default). */
  private static final int FLUSHES_WHILE_READING = FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES;
  private static volatile boolean warned;
  /** The connection's {@link Burst}, found without walking the pipeline on every answer. */
  private static final io.netty.util.AttributeKey<Burst> BURST_OF = io.netty.util.AttributeKey.valueOf("walmesh-answer-burst");
  /** {@code -Dwalmesh.grpc.flush-batching=false} turns it off (an escape hatch; answers are then flushed one by one). */
  static final boolean ENABLED = !"false".equals(System.getProperty("walmesh.grpc.flush-batching"));
  /** {@code -Dwalmesh.grpc.answer-bursts=false} keeps the socket flush batching but flushes each answer's frames. */
  static final boolean BURSTS = ENABLED && !"false".equals(System.getProperty("walmesh.grpc.answer-bursts"));

  private FlushBatching() {
  }

  /** Installs the handlers on a new connection of the gateway's server; answers whether it could. */
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
      // HTTP/2 only: an HTTP/1.1 connection (gRPC-Web) has Vert.x's HTTP/1 handler there, which takes no empty read
      if (BURSTS && vertxHandler.handler() instanceof io.netty.handler.codec.http2.Http2ConnectionHandler) {
        Burst burst = new Burst();
        vertxHandler.pipeline().addBefore(vertxHandler.name(), BURST, burst);
        vertxHandler.channel().attr(BURST_OF).set(burst);
        vertxHandler.pipeline().addAfter(vertxHandler.name(), SINK, new Sink());
      }
    }
    return true;
  }

  /**
   * Called on the connection's event loop before an answer is written on it: the answers written from here to the end
   * of the current task are flushed together. Does nothing on a connection without the handlers.
   */
  static void beginAnswers(HttpConnection connection) {
    if (connection instanceof io.vertx.core.net.impl.ConnectionBase base) {
      Burst burst = base.channelHandlerContext().channel().attr(BURST_OF).get();
      if (burst != null) {
        burst.begin();
      }
    }
  }

  /** Brackets a task's answers on one connection in an empty read of Vert.x's handler; see the class comment. */
  static final class Burst extends ChannelInboundHandlerAdapter {
    /** The message of the empty read: not bytes, so no decoder reads it. */
    static final Object SENTINEL = new Object() {
      @Override
      public String toString() {
        return "walmesh answer burst";
      }
    };
    private ChannelHandlerContext ctx;
    /** A real read of the socket is under way: Vert.x defers its flushes anyway. */
    private boolean reading;
    /** An empty read is under way, to be ended once the current task is done. */
    private boolean open;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      reading = true;
      ctx.fireChannelRead(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      reading = false;
      ctx.fireChannelReadComplete();
    }

    void begin() {
      if (reading || open || !ctx.executor().inEventLoop() || ctx.isRemoved() || !ctx.channel().isActive()) {
        return;
      }
      open = true;
      ctx.fireChannelRead(SENTINEL);
      ctx.executor().execute(this::end);
    }

    private void end() {
      open = false;
      if (!ctx.isRemoved()) {
        ctx.fireChannelReadComplete(); // Vert.x's handler ends its read: one flush for the burst
      }
    }
  }

  /** After Vert.x's handler: drops the empty read's sentinel, which Vert.x's HTTP/2 decoder passes on. */
  static final class Sink extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg != Burst.SENTINEL) {
        ctx.fireChannelRead(msg);
      }
    }
  }
}
