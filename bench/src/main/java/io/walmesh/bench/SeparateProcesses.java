package io.walmesh.bench;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.node.gateway.GrpcWriteClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import io.vertx.core.Future;
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

  /** The node's heap in this mode (see {@link #run}). */
  static final String NODE_HEAP = "-Xmx1g";

  private final Bench bench;
  private final Vertx vertx;
  private final Path work;

  SeparateProcesses(Bench bench, Vertx vertx, Path work) {
    this.bench = bench;
    this.vertx = vertx;
    this.work = work;
  }

  /** When the write-path and the delivery-path runs were measured, for the flame graphs of {@code --profile}. */
  private Instant writesFrom;
  private Instant writesTo;
  private Instant deliveryFrom;
  private Instant deliveryTo;

  void run(boolean local, boolean kafka, Path curvePlot, Path profile) throws Exception {
    Path recording = profile == null ? null : Files.createDirectories(profile).toAbsolutePath().resolve("node.jfr");
    // A gigabyte of heap: a write run leaves up to a million delayed entries in the local log's in-memory schedule
    // (about 150 bytes each), past the launcher's 256 MB default (docs/limits.md#local-backend)
    try (NodeProcess node = NodeProcess.start(work, "bench-node", NODE_HEAP + (recording == null ? ""
            : " -XX:FlightRecorderOptions=stackdepth=256 -XX:StartFlightRecording=filename=" + recording
            + ",settings=profile"));
         JavaChild minimal = JavaChild.start(work.resolve("minimal-wal.log"), JavaChild.NODE_MEMORY, MinimalWal.class,
             "0", work.resolve("minimal-wal").toString());
         JavaChild broker = kafka ? JavaChild.start(work.resolve("kafka.log"), List.of("-Xmx1g"), BrokerMain.class,
             work.resolve("kafka").toString()) : null) {
      System.err.printf("node (pid %d): %s%nminimal gRPC WAL (pid %d): %s%n", node.pid(), node.commandLine(),
          minimal.pid(), minimal.announced());
      GrpcWriteClient toNode = new GrpcWriteClient(vertx, "127.0.0.1", node.grpcPort());
      int minimalPort = Integer.parseInt(minimal.address());
      GrpcWriteClient toMinimal = new GrpcWriteClient(vertx, "127.0.0.1", minimalPort);
      List<CurvePlot.Series> curves = new ArrayList<>();
      try {
        if (local) {
          delivery(node, toNode);
          node.createNamespace(writeNamespace());
          local(node, toNode, toMinimal, minimalPort);
          if (curvePlot != null) {
            curves.add(curve("local: walmesh WriteToLog", inFlight -> {
              fresh(node); // each point starts from an empty log, as the minimal WAL's points do not
              return bench.writes("local: walmesh WriteToLog c=" + inFlight, toNode, "bench-local-w", inFlight);
            }, "#d62728"));
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
      node.close(); // the recording is written as the node exits
      if (recording != null && local) {
        flameGraphs(recording, profile);
      }
      if (curvePlot != null) {
        CurvePlot.write(curvePlot, "Unary writes, client in its own process: p99 latency against throughput"
            + " (concurrency 1-256, " + bench.payloadBytes + " B)", curves);
        System.err.println("curve written to " + curvePlot.toAbsolutePath());
      }
    }
  }

  private JsonObject writeNamespace() {
    return bench.namespace("bench-local-w", "http://127.0.0.1:9/unused", new JsonObject().put("type", "local"));
  }

  /** Drops the write runs' delayed entries: each run starts with the schedule empty. */
  private void fresh(NodeProcess node) throws Exception {
    node.deleteNamespace("bench-local-w");
    node.createNamespace(writeNamespace());
  }

  private void flameGraphs(Path recording, Path dir) throws Exception {
    long writes = FlameGraph.write(recording, writesFrom, writesTo, dir.resolve("write-path.svg"),
        "walmesh node, unary WriteToLog, " + bench.concurrency + " in flight (delayed entries: no delivery)");
    long deliveries = FlameGraph.write(recording, deliveryFrom, deliveryTo, dir.resolve("delivery-path.svg"),
        "walmesh node, writes and their delivery to an HTTP target, " + bench.concurrency + " writers");
    System.err.printf("flame graphs: %s (%d samples), %s (%d samples)%n", dir.resolve("write-path.svg"), writes,
        dir.resolve("delivery-path.svg"), deliveries);
  }

  private void local(NodeProcess node, GrpcWriteClient toNode, GrpcWriteClient toMinimal, int minimalPort) throws Exception {
    String what = "minimal grpc-java WAL (same proto, same group-commit fsync append), own process";
    // one untimed pass each: both JVMs' JITs warm before either side is measured
    bench.writes("local: walmesh WriteToLog (untimed warm-up)", toNode, "bench-local-w");
    bench.writes("minimal WAL WriteToLog (untimed warm-up)", toMinimal, "bench-local-w");
    fresh(node);
    writesFrom = Instant.now();
    Measurement unary = bench.writes("local: walmesh WriteToLog", toNode, "bench-local-w");
    writesTo = Instant.now();
    Measurement minimalUnary = bench.writes("minimal WAL WriteToLog", toMinimal, "bench-local-w");
    fresh(node);
    Measurement batched = bench.batchedWrites("local: walmesh WriteToLogBatch", toNode, "bench-local-w");
    Measurement minimalBatched = bench.batchedWrites("minimal WAL WriteToLogBatch", toMinimal, "bench-local-w");
    fresh(node);
    Measurement streamed = bench.streamedWrites("local: walmesh WriteToLogStream", vertx, node.grpcPort(), "bench-local-w");
    Measurement minimalStreamed = bench.streamedWrites("minimal WAL WriteToLogStream", vertx, minimalPort, "bench-local-w");
    rows("local", what, unary, minimalUnary, batched, minimalBatched, streamed, minimalStreamed);
    try (RawRocksLog rocks = new RawRocksLog(Files.createDirectories(work.resolve("raw-rocks")))) {
      Measurement raw = bench.loop("local: raw RocksDB synced append, in this process",
          () -> rocks.append(LatencySink.stamp(bench.payloadBytes)));
      String rawWhat = "raw RocksDB synced append, same group commit, no network";
      bench.row("local", "unary write throughput (ops/s)", unary.throughput(), raw.throughput(), rawWhat);
      bench.row("local", "streamed write throughput (ops/s)", streamed.throughput(), raw.throughput(), rawWhat);
    }
  }

  /**
   * Delivery, on the fresh node before the write runs fill its log: a fixed number of entries due at once, written
   * {@code --concurrency} at a time, each POSTed to an HTTP service in this process; throughput is entries applied
   * per second from the first write to the last delivery. The hand-written consumer does the same from the raw log.
   */
  private void delivery(NodeProcess node, GrpcWriteClient toNode) throws Exception {
    int entries = bench.durationSecs * 4_000;
    LatencySink sink = new LatencySink(vertx);
    try (RawRocksLog rocks = new RawRocksLog(Files.createDirectories(work.resolve("raw-rocks-delivery")))) {
      node.createNamespace(bench.namespace("bench-local-e2e", sink.url(), new JsonObject().put("type", "local")));
      Supplier<Future<?>> walmeshWrite = () -> toNode.write(bench.stamped("bench-local-e2e"), 10_000);
      Supplier<Future<?>> rawWrite = () -> rocks.append(LatencySink.stamp(bench.payloadBytes));
      deliver("local: walmesh delivery (untimed warm-up)", sink, entries / 4, walmeshWrite);
      deliveryFrom = Instant.now();
      Measurement delivered = deliver("local: walmesh delivery", sink, entries, walmeshWrite);
      deliveryTo = Instant.now();
      HandConsumer consumer = HandConsumer.forRocks(vertx, rocks, sink.port(), bench.concurrency);
      deliver("local: hand consumer (untimed warm-up)", sink, entries / 4, rawWrite);
      Measurement handDelivered = deliver("local: raw append + hand consumer", sink, entries, rawWrite);
      consumer.close();
      String what = "raw append + hand-written tail -> HTTP POST -> delete, in this process";
      bench.row("local", "delivery throughput (entries/s)", delivered.throughput(), handDelivered.throughput(), what);
      bench.row("local", "write-to-applied p50 (ms), " + entries + " entries", delivered.percentileMs(50),
          handDelivered.percentileMs(50), what);
      bench.row("local", "write-to-applied p99 (ms), " + entries + " entries", delivered.percentileMs(99),
          handDelivered.percentileMs(99), what);
    } finally {
      sink.close();
    }
  }

  /** Writes {@code entries}, {@code --concurrency} in flight, and waits until the sink has them all (or stalls 10 s). */
  private Measurement deliver(String name, LatencySink sink, int entries, Supplier<Future<?>> write) throws Exception {
    sink.reset();
    long start = System.nanoTime();
    AtomicLong started = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    CountDownLatch written = new CountDownLatch(entries);
    Runnable[] next = new Runnable[1];
    next[0] = () -> {
      if (started.incrementAndGet() <= entries) {
        write.get().onComplete(ar -> {
          if (ar.failed()) {
            failed.incrementAndGet();
          }
          written.countDown();
          next[0].run();
        });
      }
    };
    for (int i = 0; i < bench.concurrency; i++) {
      next[0].run();
    }
    written.await(10, TimeUnit.MINUTES);
    long last = -1;
    long stalledSince = System.nanoTime();
    while (sink.delivered() < entries - failed.get()) {
      long now = sink.delivered();
      if (now != last) {
        last = now;
        stalledSince = System.nanoTime();
      } else if (System.nanoTime() - stalledSince > TimeUnit.SECONDS.toNanos(10)) {
        System.err.printf("  %s: delivery stalled at %,d of %,d%n", name, now, entries);
        break;
      }
      TimeUnit.MILLISECONDS.sleep(50);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    Measurement m = new Measurement(name, sink.delivered(), failed.get(), seconds, sink.latencies());
    System.err.printf("  %-36s %,d entries applied in %.1f s: %,.0f/s, write-to-applied p99 %.2f ms%n", name,
        m.ops(), seconds, m.throughput(), m.percentileMs(99));
    bench.raw.add(m.toJson().put("entries", entries));
    return m;
  }

  private void kafka(NodeProcess node, GrpcWriteClient toNode, KafkaBaseline raw) throws Exception {
    String what = "raw KafkaProducer acks=all idempotent, same broker (own process)";
    bench.writes("kafka: walmesh WriteToLog (untimed warm-up)", toNode, "bench-kafka-w");
    bench.loop("kafka: raw KafkaProducer (untimed warm-up)", () -> raw.send("raw-w", LatencySink.stamp(bench.payloadBytes)));
    Measurement unary = bench.writes("kafka: walmesh WriteToLog", toNode, "bench-kafka-w");
    Measurement producer = bench.loop("kafka: raw KafkaProducer", () -> raw.send("raw-w", LatencySink.stamp(bench.payloadBytes)));
    Measurement batched = bench.batchedWrites("kafka: walmesh WriteToLogBatch", toNode, "bench-kafka-w");
    Measurement streamed = bench.streamedWrites("kafka: walmesh WriteToLogStream", vertx, node.grpcPort(), "bench-kafka-w");
    rows("kafka", what, unary, producer, batched, producer, streamed, producer);
  }

  /** The write rows of one backend: each walmesh call style against its baseline. */
  private void rows(String backend, String what, Measurement unary, Measurement unaryBaseline, Measurement batched,
                    Measurement batchedBaseline, Measurement streamed, Measurement streamedBaseline) {
    bench.row(backend, "unary write throughput (ops/s)", unary.throughput(), unaryBaseline.throughput(), what);
    bench.row(backend, "unary write latency p50 (ms)", unary.percentileMs(50), unaryBaseline.percentileMs(50), what);
    bench.row(backend, "unary write latency p99 (ms)", unary.percentileMs(99), unaryBaseline.percentileMs(99), what);
    bench.row(backend, "batched write throughput (entries/s)", batched.throughput(), batchedBaseline.throughput(), what);
    bench.row(backend, "streamed write throughput (ops/s)", streamed.throughput(), streamedBaseline.throughput(), what);
    bench.row(backend, "streamed write latency p99 (ms)", streamed.percentileMs(99), streamedBaseline.percentileMs(99), what);
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
