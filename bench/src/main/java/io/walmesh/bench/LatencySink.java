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
  /** Connections the sink accepted: a consumer that keeps its connections opens a few per run, not one per entry. */
  private final AtomicLong connections = new AtomicLong();
  private final HttpServer server;

  LatencySink(Vertx vertx) throws Exception {
    server = vertx.createHttpServer().connectionHandler(c -> connections.incrementAndGet())
        .requestHandler(request -> request.body().onSuccess(body -> {
      long stamped = body.getLong(0);
      long now = System.nanoTime();
      long micros = Math.max(1, (now - stamped) / 1000);
      recorder.recordValue(micros);
      delivered.incrementAndGet();
      // counted apart: the queue's size() walks it, and a run with a backlog has tens of thousands of slow ones
      if (micros >= SLOW_MICROS && slowCount.getAndIncrement() < MAX_SLOW) {
        slow.add(new long[] {stamped, now});
      }
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

  /** Connections accepted since the last {@link #reset}. */
  long connections() {
    return connections.get();
  }

  /** Starts a fresh window: the count and latencies so far are dropped. */
  void reset() {
    recorder.getIntervalHistogram();
    delivered.set(0);
    connections.set(0);
    slow.clear();
    slowCount.set(0);
  }

  /** Deliveries that took at least this long are kept with their instants ({@link #slowSpans}). */
  static final long SLOW_MICROS = 20_000;
  private static final int MAX_SLOW = 100_000;
  /** {write instant, applied instant} in nanoTime of the deliveries of this window that took {@link #SLOW_MICROS}. */
  private final java.util.concurrent.ConcurrentLinkedQueue<long[]> slow = new java.util.concurrent.ConcurrentLinkedQueue<>();
  /** How many slow deliveries this window had (some not kept, past {@link #MAX_SLOW}). */
  private final AtomicLong slowCount = new AtomicLong();

  /**
   * Where this window's slow deliveries were, from {@code startNanos}: the stretches of write instants whose entries
   * took {@link #SLOW_MICROS} or more (a gap of 50 ms starts a new stretch), each with how many, and the longest. One
   * stall shows as one stretch; a tail spread over the run as many.
   */
  String slowSpans(long startNanos) {
    java.util.List<long[]> all = new java.util.ArrayList<>(slow);
    if (all.isEmpty()) {
      return "none over " + SLOW_MICROS / 1000 + " ms";
    }
    all.sort(java.util.Comparator.comparingLong(a -> a[0]));
    StringBuilder out = new StringBuilder();
    int spans = 0;
    int i = 0;
    while (i < all.size() && spans < 10) {
      long from = all.get(i)[0];
      long to = from;
      long worst = 0;
      int count = 0;
      for (; i < all.size() && all.get(i)[0] - to < 50_000_000L; i++) {
        to = all.get(i)[0];
        worst = Math.max(worst, all.get(i)[1] - all.get(i)[0]);
        count++;
      }
      out.append(spans++ == 0 ? "" : "; ").append(String.format("written at +%.2f..+%.2f s: %d over %d ms, the longest"
          + " %d ms", (from - startNanos) / 1e9, (to - startNanos) / 1e9, count, SLOW_MICROS / 1000, worst / 1_000_000));
    }
    if (i < all.size()) {
      out.append("; ...");
    }
    return out.toString();
  }

  Histogram latencies() {
    return recorder.getIntervalHistogram();
  }

  @Override
  public void close() {
    server.close();
  }
}
