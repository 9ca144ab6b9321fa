package io.walmesh.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The hand-written consumer of the local baseline: tails the keys the raw log committed, reads
 * each value, POSTs it to the sink, deletes it. {@code slots} deliveries in flight, like walmesh's
 * consumer.
 */
final class HandConsumer implements AutoCloseable {
  private final Vertx vertx;
  private final RawRocksLog rocks;
  private final int sinkPort;
  private final HttpClient http;
  private final ConcurrentLinkedQueue<Long> keys = new ConcurrentLinkedQueue<>();
  private final long timer;
  private int inFlight;
  private final int slots;
  /** While paused it only records the committed keys: a backlog builds up for a drain run. */
  private volatile boolean paused;

  private HandConsumer(Vertx vertx, RawRocksLog rocks, int sinkPort, int slots) {
    this.vertx = vertx;
    this.rocks = rocks;
    this.sinkPort = sinkPort;
    this.slots = slots;
    this.http = vertx.createHttpClient(new PoolOptions().setHttp1MaxSize(slots));
    rocks.onCommitted(keys::add);
    this.timer = vertx.setPeriodic(1, id -> pump());
  }

  static HandConsumer forRocks(Vertx vertx, RawRocksLog rocks, int sinkPort, int slots) {
    return new HandConsumer(vertx, rocks, sinkPort, slots);
  }

  /** Stops delivering (keys committed meanwhile are kept) until {@link #resume}. */
  void pause() {
    paused = true;
  }

  void resume() {
    paused = false;
  }

  private void pump() {
    if (paused) {
      return;
    }
    Long key;
    while (inFlight < slots && (key = keys.poll()) != null) {
      long k = key;
      inFlight++;
      byte[] value;
      try {
        value = rocks.get(k);
      } catch (Exception e) {
        inFlight--;
        continue;
      }
      http.request(HttpMethod.POST, sinkPort, "127.0.0.1", "/apply")
          .compose(req -> req.send(Buffer.buffer(value)))
          .compose(resp -> resp.body())
          .compose(body -> {
            try {
              rocks.delete(k);
              return Future.succeededFuture();
            } catch (Exception e) {
              return Future.failedFuture(e);
            }
          })
          .onComplete(ar -> {
            inFlight--;
            if (ar.failed()) {
              keys.add(k);
            }
            pump();
          });
    }
  }

  @Override
  public void close() {
    vertx.cancelTimer(timer);
    rocks.onCommitted(k -> { });
    http.close();
  }
}
