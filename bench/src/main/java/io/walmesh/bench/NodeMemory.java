package io.walmesh.bench;

import com.google.protobuf.ByteString;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.walmesh.node.gateway.GrpcWriteClient;
import io.walmesh.protocol.v1.Lifecycle;
import io.walmesh.protocol.v1.WriteToLogRequest;
import io.walmesh.testkit.FreePorts;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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
    Path repo = Path.of(System.getProperty("walmesh.repo", ".")).toAbsolutePath().normalize();
    Path launcher = repo.resolve("walmesh");
    if (!Files.isExecutable(launcher)) {
      throw new IllegalStateException("--memory starts the node with " + launcher + ", which is not there; run"
          + " bench/run from the repository");
    }
    int grpcPort = FreePorts.next();
    int adminPort = FreePorts.next();
    Path config = work.resolve("memory-node.json");
    Files.writeString(config, """
        {"node-id": "bench-memory", "data-dir": "%s",
         "grpc": {"host": "127.0.0.1", "port": %d}, "admin": {"host": "127.0.0.1", "port": %d}}"""
        .formatted(work.resolve("memory-node"), grpcPort, adminPort));
    ProcessBuilder builder = new ProcessBuilder(List.of(launcher.toString(), "start", "--config", config.toString()))
        .redirectErrorStream(true).redirectOutput(work.resolve("memory-node.log").toFile());
    builder.environment().put("WALMESH_LOG_LEVEL", "WARN");
    Process node = builder.start();
    GrpcWriteClient client = null;
    AtomicLong peak = new AtomicLong();
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
    try {
      HttpClient http = HttpClient.newHttpClient();
      String admin = "http://127.0.0.1:" + adminPort;
      waitUp(http, admin, node);
      HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(admin + "/v1/namespaces"))
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("""
              {"name": "memory", "targets": [{"name": "web", "type": "http", "config": {"url": "http://127.0.0.1:9/x"}}]}"""))
          .build(), HttpResponse.BodyHandlers.ofString());
      if (created.statusCode() != 201) {
        throw new IllegalStateException("creating the namespace: " + created.statusCode() + " " + created.body());
      }
      sampler.start();
      GrpcWriteClient grpc = new GrpcWriteClient(vertx, "127.0.0.1", grpcPort);
      client = grpc;
      WriteToLogRequest request = WriteToLogRequest.newBuilder().setNamespace("memory")
          .setPayload(ByteString.copyFrom(new byte[payloadBytes]))
          .setLifecycle(Lifecycle.newBuilder().setDelayMs(3_600_000)).build();
      Supplier<Future<?>> write = () -> grpc.write(request, 10_000);
      Measurement writes = ClosedLoop.run("memory: walmesh WriteToLog, node in its own process", concurrency,
          warmupMs, durationMs, write);
      String command = ProcessHandle.of(node.pid()).flatMap(p -> p.info().commandLine()).orElse("?");
      return new Result(writes, peak.get(), rssKb(node.pid()), command);
    } finally {
      sampler.interrupt();
      if (client != null) {
        client.close();
      }
      node.destroy();
      node.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
      node.destroyForcibly();
    }
  }

  private static void waitUp(HttpClient http, String admin, Process node) throws Exception {
    long until = System.currentTimeMillis() + 300_000; // the first ./walmesh run may build the node
    while (System.currentTimeMillis() < until) {
      if (!node.isAlive()) {
        throw new IllegalStateException("the node exited with " + node.exitValue() + "; see its log");
      }
      try {
        if (http.send(HttpRequest.newBuilder(URI.create(admin + "/v1/health")).timeout(Duration.ofSeconds(2)).build(),
            HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
          return;
        }
      } catch (java.io.IOException notYet) {
        // not listening yet
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException("the node did not answer /v1/health in 5 minutes");
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
