package io.walmesh.bench;

import com.google.protobuf.ByteString;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.node.gateway.GrpcWriteClient;
import io.walmesh.protocol.v1.Lifecycle;
import io.walmesh.protocol.v1.WriteToLogRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * {@code bench/run --memory}: a node started the way users start it ({@code ./walmesh start}, with the launcher's
 * default JVM settings) in its own process, driven with unary writes from this process, its resident set size
 * (VmRSS) sampled every 250 ms. Entries are delayed an hour, so the figure is the write path's, with no delivery.
 */
final class NodeMemory {
  private NodeMemory() {
  }

  record Result(Measurement writes, long peakRssKb, long endRssKb, String javaCommand) {
  }

  static Result run(Vertx vertx, Path work, int concurrency, double rate, int payloadBytes, long warmupMs,
                    long durationMs) throws Exception {
    AtomicLong peak = new AtomicLong();
    try (NodeProcess node = NodeProcess.start(work, "bench-memory")) {
      node.createNamespace(new JsonObject().put("name", "memory").put("targets", new JsonArray().add(new JsonObject()
          .put("name", "web").put("type", "http").put("config", new JsonObject().put("url", "http://127.0.0.1:9/x")))));
      Thread sampler = new Thread(() -> {
        while (!Thread.currentThread().isInterrupted()) {
          peak.accumulateAndGet(rssKb(node.pid()), Math::max);
          try {
            Thread.sleep(250);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "rss-sampler");
      sampler.start();
      GrpcWriteClient grpc = new GrpcWriteClient(vertx, "127.0.0.1", node.grpcPort());
      try {
        WriteToLogRequest request = WriteToLogRequest.newBuilder().setNamespace("memory")
            .setPayload(ByteString.copyFrom(new byte[payloadBytes]))
            .setLifecycle(Lifecycle.newBuilder().setDelayMs(3_600_000)).build();
        Supplier<Future<?>> write = () -> grpc.write(request, 10_000).compose(r -> r.ok()
            && r.response().getDurable() == io.walmesh.protocol.v1.Trilean.SUCCESS ? Future.succeededFuture()
            : Future.failedFuture(r.status() + " " + r.statusMessage() + " " + r.response()));
        Measurement writes = rate > 0 ? paced(vertx, rate, warmupMs, durationMs, write)
            : ClosedLoop.run("memory: walmesh WriteToLog, node in its own process", concurrency, warmupMs, durationMs, write);
        return new Result(writes, peak.get(), rssKb(node.pid()), node.commandLine());
      } finally {
        sampler.interrupt();
        grpc.close();
      }
    }
  }

  /**
   * Writes at a fixed rate (an open loop: the node is offered {@code rate} writes a second whatever its latency),
   * recording those started after the warm-up; answers when the last of them is answered.
   */
  private static Measurement paced(Vertx vertx, double rate, long warmupMs, long durationMs, Supplier<Future<?>> write)
      throws InterruptedException {
    org.HdrHistogram.Recorder recorder = new org.HdrHistogram.Recorder(3);
    AtomicLong ok = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    AtomicLong sent = new AtomicLong();
    AtomicLong answered = new AtomicLong();
    long start = System.nanoTime();
    long measureFrom = start + warmupMs * 1_000_000L;
    long end = measureFrom + durationMs * 1_000_000L;
    long timer = vertx.setPeriodic(5, id -> {
      long now = System.nanoTime();
      long due = (long) ((Math.min(now, end) - start) / 1e9 * rate);
      while (sent.get() < due) {
        sent.incrementAndGet();
        long begin = System.nanoTime();
        write.get().onComplete(ar -> {
          if (begin >= measureFrom) {
            if (ar.succeeded()) {
              ok.incrementAndGet();
              recorder.recordValue(Math.max(1, (System.nanoTime() - begin) / 1000));
            } else if (failed.incrementAndGet() == 1) {
              System.err.println("  memory: a write failed: " + ar.cause().getMessage());
            }
          }
          answered.incrementAndGet();
        });
      }
    });
    while (System.nanoTime() < end) {
      Thread.sleep(1_000);
      System.err.printf("  memory: offered %,.0f writes/s, %,d acknowledged so far, %,d failed%n", rate, ok.get(), failed.get());
    }
    vertx.cancelTimer(timer);
    long waitUntil = System.nanoTime() + 15_000_000_000L;
    while (answered.get() < sent.get() && System.nanoTime() < waitUntil) {
      Thread.sleep(50);
    }
    return new Measurement("memory: walmesh WriteToLog at " + (long) rate + "/s, node in its own process", ok.get(),
        failed.get(), durationMs / 1000.0, recorder.getIntervalHistogram());
  }

  /** VmRSS of a process, in kB (0 when it is gone). */
  static long rssKb(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (Exception gone) {
      return 0;
    }
    return 0;
  }
}
