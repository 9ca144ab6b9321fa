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

  static Result run(Vertx vertx, Path work, int concurrency, int payloadBytes, long warmupMs, long durationMs)
      throws Exception {
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
        Supplier<Future<?>> write = () -> grpc.write(request, 10_000);
        Measurement writes = ClosedLoop.run("memory: walmesh WriteToLog, node in its own process", concurrency,
            warmupMs, durationMs, write);
        return new Result(writes, peak.get(), rssKb(node.pid()), node.commandLine());
      } finally {
        sampler.interrupt();
        grpc.close();
      }
    }
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
