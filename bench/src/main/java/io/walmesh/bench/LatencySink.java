package io.walmesh.bench;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The delivery target of the end-to-end runs: an HTTP server that reads the write instant stamped
 * in the payload ({@link #stamp}) and records write-to-applied latency and the delivery count.
 */
final class LatencySink implements AutoCloseable {
  private final Recorder recorder = new Recorder(3);
  private final AtomicLong delivered = new AtomicLong();
  private final HttpServer server;

  LatencySink(Vertx vertx) throws Exception {
    server = vertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body -> {
      long stamped = body.getLong(0);
      recorder.recordValue(Math.max(1, (System.nanoTime() - stamped) / 1000));
      delivered.incrementAndGet();
      request.response().end();
    })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** A payload of {@code size} bytes whose first 8 bytes are the current {@link System#nanoTime()}. */
  static byte[] stamp(int size) {
    Buffer buffer = Buffer.buffer(Math.max(8, size)).appendLong(System.nanoTime());
    while (buffer.length() < size) {
      buffer.appendByte((byte) 'x');
    }
    return buffer.getBytes();
  }

  String url() {
    return "http://127.0.0.1:" + server.actualPort() + "/apply";
  }

  int port() {
    return server.actualPort();
  }

  long delivered() {
    return delivered.get();
  }

  /** Starts a fresh window: the count and latencies so far are dropped. */
  void reset() {
    recorder.getIntervalHistogram();
    delivered.set(0);
  }

  Histogram latencies() {
    return recorder.getIntervalHistogram();
  }

  @Override
  public void close() {
    server.close();
  }
}
