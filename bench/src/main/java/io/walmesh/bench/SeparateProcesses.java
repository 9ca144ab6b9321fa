package io.walmesh.bench;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.node.gateway.GrpcWriteClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code bench/run --processes}: every server in a process of its own, as users run them, and this process as the
 * client application. The node is started by {@code ./walmesh start} (the launcher's JVM settings); its peers are
 * the minimal gRPC write-ahead log ({@link MinimalWal}, same proto, same client, same group-commit fsync append)
 * and, for Kafka, a raw closed-loop {@code KafkaProducer} (acks=all, idempotent) on the same broker, which runs in a
 * third process. The same client code drives both sides of each comparison.
 */
final class SeparateProcesses {
  /** The concurrencies {@code --curve} sweeps. */
  static final int[] CURVE = {1, 4, 16, 64, 256};

  private final Bench bench;
  private final Vertx vertx;
  private final Path work;

  SeparateProcesses(Bench bench, Vertx vertx, Path work) {
    this.bench = bench;
    this.vertx = vertx;
    this.work = work;
  }

  void run(boolean local, boolean kafka, Path curvePlot) throws Exception {
    try (NodeProcess node = NodeProcess.start(work, "bench-node");
         JavaChild minimal = JavaChild.start(work.resolve("minimal-wal.log"), JavaChild.NODE_MEMORY, MinimalWal.class,
             "0", work.resolve("minimal-wal").toString());
         JavaChild broker = kafka ? JavaChild.start(work.resolve("kafka.log"), List.of("-Xmx1g"), BrokerMain.class,
             work.resolve("kafka").toString()) : null) {
      System.err.printf("node (pid %d): %s%nminimal gRPC WAL (pid %d): %s%n", node.pid(), node.commandLine(),
          minimal.pid(), minimal.firstLine());
      GrpcWriteClient toNode = new GrpcWriteClient(vertx, "127.0.0.1", node.grpcPort());
      int minimalPort = Integer.parseInt(minimal.address());
      GrpcWriteClient toMinimal = new GrpcWriteClient(vertx, "127.0.0.1", minimalPort);
      List<CurvePlot.Series> curves = new ArrayList<>();
      try {
        if (local) {
          node.createNamespace(bench.namespace("bench-local-w", "http://127.0.0.1:9/unused", new JsonObject().put("type", "local")));
          local(node, toNode, toMinimal, minimalPort);
          if (curvePlot != null) {
            curves.add(curve("local: walmesh WriteToLog", toNode, "bench-local-w", "#d62728"));
            curves.add(curve("minimal gRPC WAL WriteToLog", toMinimal, "bench-local-w", "#1f77b4"));
          }
        }
        if (broker != null) {
          try (KafkaBaseline raw = new KafkaBaseline(vertx, broker.address(), 9, bench.concurrency)) {
            node.createNamespace(bench.namespace("bench-kafka-w", "http://127.0.0.1:9/unused",
                Bench.kafkaBackend(broker.address(), "bench-kafka-w", new JsonObject()
                    .put("delay-tiers-secs", new JsonArray().add(7_200)).put("window.max-entries", 10))));
            raw.createTopic("raw-w");
            kafka(node, toNode, raw);
            if (curvePlot != null) {
              curves.add(curve("kafka: walmesh WriteToLog", toNode, "bench-kafka-w", "#ff7f0e"));
              curves.add(curve("kafka: raw KafkaProducer", inFlight -> bench.loop("kafka: raw KafkaProducer c=" + inFlight,
                  inFlight, () -> raw.send("raw-w", LatencySink.stamp(bench.payloadBytes))), "#2ca02c"));
            }
          }
        }
      } finally {
        toNode.close();
        toMinimal.close();
      }
      if (curvePlot != null) {
        CurvePlot.write(curvePlot, "Unary writes, client in its own process: p99 latency against throughput"
            + " (concurrency 1-256, " + bench.payloadBytes + " B)", curves);
        System.err.println("curve written to " + curvePlot.toAbsolutePath());
      }
    }
  }

  private void local(NodeProcess node, GrpcWriteClient toNode, GrpcWriteClient toMinimal, int minimalPort) throws Exception {
    String what = "minimal grpc-java WAL (same proto, same group-commit fsync append), own process";
    // one untimed pass each: both JVMs' JITs warm before either side is measured
    bench.writes("local: walmesh WriteToLog (untimed warm-up)", toNode, "bench-local-w");
    bench.writes("minimal WAL WriteToLog (untimed warm-up)", toMinimal, "bench-local-w");
    Measurement unary = bench.writes("local: walmesh WriteToLog", toNode, "bench-local-w");
    Measurement minimalUnary = bench.writes("minimal WAL WriteToLog", toMinimal, "bench-local-w");
    Measurement batched = bench.batchedWrites("local: walmesh WriteToLogBatch", toNode, "bench-local-w");
    Measurement minimalBatched = bench.batchedWrites("minimal WAL WriteToLogBatch", toMinimal, "bench-local-w");
    Measurement streamed = bench.streamedWrites("local: walmesh WriteToLogStream", vertx, node.grpcPort(), "bench-local-w");
    Measurement minimalStreamed = bench.streamedWrites("minimal WAL WriteToLogStream", vertx, minimalPort, "bench-local-w");
    bench.row("local", "unary write throughput (ops/s)", unary.throughput(), minimalUnary.throughput(), what);
    bench.row("local", "unary write latency p50 (ms)", unary.percentileMs(50), minimalUnary.percentileMs(50), what);
    bench.row("local", "unary write latency p99 (ms)", unary.percentileMs(99), minimalUnary.percentileMs(99), what);
    bench.row("local", "batched write throughput (entries/s)", batched.throughput(), minimalBatched.throughput(), what);
    bench.row("local", "streamed write throughput (ops/s)", streamed.throughput(), minimalStreamed.throughput(), what);
    bench.row("local", "streamed write latency p99 (ms)", streamed.percentileMs(99), minimalStreamed.percentileMs(99), what);
    try (RawRocksLog rocks = new RawRocksLog(Files.createDirectories(work.resolve("raw-rocks")))) {
      Measurement raw = bench.loop("local: raw RocksDB synced append, in this process",
          () -> rocks.append(LatencySink.stamp(bench.payloadBytes)));
      String rawWhat = "raw RocksDB synced append, same group commit, no network";
      bench.row("local", "unary write throughput (ops/s)", unary.throughput(), raw.throughput(), rawWhat);
      bench.row("local", "streamed write throughput (ops/s)", streamed.throughput(), raw.throughput(), rawWhat);
    }
  }

  private void kafka(NodeProcess node, GrpcWriteClient toNode, KafkaBaseline raw) throws Exception {
    String what = "raw KafkaProducer acks=all idempotent, same broker (own process)";
    bench.writes("kafka: walmesh WriteToLog (untimed warm-up)", toNode, "bench-kafka-w");
    bench.loop("kafka: raw KafkaProducer (untimed warm-up)", () -> raw.send("raw-w", LatencySink.stamp(bench.payloadBytes)));
    Measurement unary = bench.writes("kafka: walmesh WriteToLog", toNode, "bench-kafka-w");
    Measurement producer = bench.loop("kafka: raw KafkaProducer", () -> raw.send("raw-w", LatencySink.stamp(bench.payloadBytes)));
    Measurement batched = bench.batchedWrites("kafka: walmesh WriteToLogBatch", toNode, "bench-kafka-w");
    Measurement streamed = bench.streamedWrites("kafka: walmesh WriteToLogStream", vertx, node.grpcPort(), "bench-kafka-w");
    bench.row("kafka", "unary write throughput (ops/s)", unary.throughput(), producer.throughput(), what);
    bench.row("kafka", "unary write latency p50 (ms)", unary.percentileMs(50), producer.percentileMs(50), what);
    bench.row("kafka", "unary write latency p99 (ms)", unary.percentileMs(99), producer.percentileMs(99), what);
    bench.row("kafka", "batched write throughput (entries/s)", batched.throughput(), producer.throughput(), what);
    bench.row("kafka", "streamed write throughput (ops/s)", streamed.throughput(), producer.throughput(), what);
    bench.row("kafka", "streamed write latency p99 (ms)", streamed.percentileMs(99), producer.percentileMs(99), what);
  }

  private CurvePlot.Series curve(String name, GrpcWriteClient client, String namespace, String color) throws Exception {
    return curve(name, inFlight -> bench.writes(name + " c=" + inFlight, client, namespace, inFlight), color);
  }

  private CurvePlot.Series curve(String name, Run run, String color) throws Exception {
    List<CurvePlot.Point> points = new ArrayList<>();
    for (int inFlight : CURVE) {
      Measurement m = run.at(inFlight);
      points.add(new CurvePlot.Point(inFlight, m.throughput(), m.percentileMs(50), m.percentileMs(99)));
    }
    return new CurvePlot.Series(name, color, points);
  }

  @FunctionalInterface
  private interface Run {
    Measurement at(int inFlight) throws Exception;
  }
}
