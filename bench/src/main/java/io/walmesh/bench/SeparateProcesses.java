package io.walmesh.bench;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.node.gateway.GrpcWriteClient;
import io.walmesh.protocol.v1.Lifecycle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
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
    this.deliveries = new DeliveryRuns(bench, vertx, work);
  }

  /** The local write runs, for the flame graphs of {@code --profile}: file name to when the run ran and its title. */
  private final java.util.Map<String, Window> writeRuns = new java.util.LinkedHashMap<>();

  private record Window(Instant from, Instant to, String title) {
  }

  private final DeliveryRuns deliveries;
  /** The namespace of the local write runs (a new one per run, see {@link #fresh}), and how many were made. */
  private String writeNs = "bench-local-w";
  private int namespacesMade;

  /**
   * JFR's sampling of the node's Java threads every millisecond ("max"), not every 10 ms (the profile settings'
   * "high"): a 15-second run gave flame graphs of 300-500 samples, too few to tell a change of a few percent.
   */
  static final String SAMPLING = "method-profiling=max";

  void run(boolean local, boolean kafka, boolean sqs, Path curvePlot, Path profile) throws Exception {
    Path recording = profile == null ? null : Files.createDirectories(profile).toAbsolutePath().resolve("node.jfr");
    // A gigabyte of heap, as before session 20: a write run leaves up to a million delayed entries in the local log,
    // which the in-memory schedule of then could not hold in the launcher's 256 MB. The schedule is on disk now; the
    // flag stays so that figures compare across sessions (docs/performance.md)
    try (NodeProcess node = NodeProcess.start(work, "bench-node", NODE_HEAP + (recording == null ? ""
            : " -XX:FlightRecorderOptions=stackdepth=256 -XX:StartFlightRecording=filename=" + recording
            + ",settings=profile," + SAMPLING));
         JavaChild minimal = JavaChild.start(work.resolve("minimal-wal.log"), JavaChild.NODE_MEMORY, MinimalWal.class,
             "0", work.resolve("minimal-wal").toString());
         JavaChild broker = kafka ? JavaChild.start(work.resolve("kafka.log"), List.of("-Xmx1g"), BrokerMain.class,
             work.resolve("kafka").toString()) : null;
         JavaChild sqsServer = sqs ? JavaChild.start(work.resolve("elasticmq.log"), List.of("-Xmx1g"), ElasticMqMain.class)
             : null) {
      System.err.printf("node (pid %d): %s%nminimal gRPC WAL (pid %d): %s%n", node.pid(), node.commandLine(),
          minimal.pid(), minimal.announced());
      bench.cpu.watchThreads(NODE, ProcessHandle.of(node.pid()).orElseThrow())
          .watchThreads(MINIMAL, ProcessHandle.of(minimal.pid()).orElseThrow());
      if (broker != null) {
        bench.cpu.watch("kafka broker", ProcessHandle.of(broker.pid()).orElseThrow());
      }
      GrpcWriteClient toNode = bench.grpcClient(vertx, node.grpcPort());
      int minimalPort = Integer.parseInt(minimal.address());
      GrpcWriteClient toMinimal = bench.grpcClient(vertx, minimalPort);
      List<CurvePlot.Series> curves = new ArrayList<>();
      boolean deliveryRuns = bench.only == null || "delivery".equals(bench.only);
      boolean writeRuns = bench.only == null || "writes".equals(bench.only);
      boolean targetRuns = deliveryRuns || "targets".equals(bench.only);
      try {
        if (local && deliveryRuns) {
          deliveries.local(node, toNode);
        }
        if (local && writeRuns) {
          node.createNamespace(writeNamespace());
          local(node, toNode, toMinimal, minimalPort);
          if (curvePlot != null) {
            curves.add(curve("local: walmesh WriteToLog", inFlight -> {
              fresh(node); // each point starts with an empty schedule
              return bench.writes("local: walmesh WriteToLog c=" + inFlight, toNode, writeNs, inFlight);
            }, "#d62728"));
            curves.add(curve("minimal gRPC WAL WriteToLog", toMinimal, "bench-local-w", "#1f77b4"));
          }
        }
        if (broker != null && deliveryRuns) {
          deliveries.kafka(node, toNode, broker.address());
        }
        if (broker != null && targetRuns) {
          deliveries.kafkaTarget(node, toNode, broker.address());
        }
        if (broker != null && writeRuns) {
          try (KafkaBaseline raw = new KafkaBaseline(vertx, broker.address(), 9, bench.concurrency)) {
            node.createNamespace(bench.namespace("bench-kafka-w", "http://127.0.0.1:9/unused",
                Bench.kafkaWriteBackend(broker.address(), "bench-kafka-w")));
            raw.createTopic("raw-w");
            raw.createTopic("minimal-w");
            try (JavaChild minimalKafka = JavaChild.start(work.resolve("minimal-kafka.log"), JavaChild.NODE_MEMORY,
                MinimalWal.class, "0", "--kafka=" + broker.address(), "minimal-w")) {
              bench.cpu.watchThreads(MINIMAL_KAFKA, ProcessHandle.of(minimalKafka.pid()).orElseThrow());
              kafka(node, toNode, raw, Integer.parseInt(minimalKafka.address()));
            } finally {
              bench.cpu.forget(MINIMAL_KAFKA);
            }
            if (curvePlot != null) {
              curves.add(curve("kafka: walmesh WriteToLog", toNode, "bench-kafka-w", "#ff7f0e"));
              curves.add(curve("kafka: raw KafkaProducer", inFlight -> bench.loop("kafka: raw KafkaProducer c=" + inFlight,
                  inFlight, () -> raw.send("raw-w", LatencySink.stamp(bench.payloadBytes))), "#2ca02c"));
            }
          }
        }
        if (sqsServer != null && deliveryRuns) {
          deliveries.sqs(node, toNode, sqsServer.address());
        }
        if (sqsServer != null && writeRuns) {
          sqs(node, toNode, sqsServer.address(), curvePlot == null ? null : curves);
        }
      } finally {
        toNode.close();
        toMinimal.close();
      }
      node.close(); // the recording is written as the node exits
      if (recording != null) {
        flameGraphs(recording, profile);
      }
      if (curvePlot != null) {
        CurvePlot.write(curvePlot, "Unary writes, client in its own process: p99 latency against throughput"
            + " (concurrency 1-256, " + bench.payloadBytes + " B)", curves);
        System.err.println("curve written to " + curvePlot.toAbsolutePath());
      }
    }
  }

  /**
   * {@code --mesh}: two nodes in a mesh, each started by {@code ./walmesh start}. A local namespace created through
   * the first is pinned to it ({@code home-node}), so a write sent to the second is routed over the event bus to the
   * first and its answer comes back the same way. The same client writes through the owner and through the other
   * node, one after the other, at the same in-flight count.
   */
  void mesh() throws Exception {
    int ownerPort = io.walmesh.testkit.FreePorts.next();
    int otherPort = io.walmesh.testkit.FreePorts.next();
    JsonArray members = new JsonArray().add("127.0.0.1:" + ownerPort).add("127.0.0.1:" + otherPort);
    try (NodeProcess owner = NodeProcess.start(work, "mesh-1", NODE_HEAP, meshCluster(ownerPort, members));
         NodeProcess other = NodeProcess.start(work, "mesh-2", NODE_HEAP, meshCluster(otherPort, members))) {
      owner.createNamespace(writeNamespace());
      bench.cpu.watch("owner", ProcessHandle.of(owner.pid()).orElseThrow())
          .watch("other node", ProcessHandle.of(other.pid()).orElseThrow());
      GrpcWriteClient toOwner = new GrpcWriteClient(vertx, "127.0.0.1", owner.grpcPort());
      GrpcWriteClient toOther = new GrpcWriteClient(vertx, "127.0.0.1", other.grpcPort());
      try {
        awaitRouted(toOther);
        bench.writes("mesh: through the owner (untimed warm-up)", toOwner, "bench-local-w");
        bench.writes("mesh: through the other node (untimed warm-up)", toOther, "bench-local-w");
        Measurement direct = bench.writes("mesh: through the owner", toOwner, "bench-local-w");
        Measurement routed = bench.writes("mesh: through the other node", toOther, "bench-local-w");
        String what = "the same writes sent to the namespace's owner";
        bench.row("mesh", "unary write throughput through a non-owner (ops/s)", routed.throughput(), direct.throughput(),
            what);
        for (int p : new int[] {50, 99}) {
          bench.row("mesh", "unary write latency p" + p + " through a non-owner (ms)", routed.percentileMs(p),
              direct.percentileMs(p), what);
        }
        // the CPU a write costs both nodes together: the owner's work, plus the other node's gateway and routing
        bench.row("mesh", "CPU per write, both nodes (us)", routed.cpuMicrosPerOp("owner") + routed.cpuMicrosPerOp("other node"),
            direct.cpuMicrosPerOp("owner") + direct.cpuMicrosPerOp("other node"), what);
      } finally {
        toOwner.close();
        toOther.close();
      }
    }
  }

  private static JsonObject meshCluster(int port, JsonArray members) {
    return new JsonObject().put("name", "bench-mesh").put("host", "127.0.0.1").put("port", port).put("members", members);
  }

  /** Waits (a minute at most) until the second node knows the namespace and routes a write to its owner. */
  private void awaitRouted(GrpcWriteClient toOther) throws Exception {
    long until = System.currentTimeMillis() + 60_000;
    String last = "no answer";
    while (System.currentTimeMillis() < until) {
      io.walmesh.node.gateway.GrpcWriteClient.Result result = toOther.write(bench.stamped("bench-local-w").toBuilder()
          .setLifecycle(Lifecycle.newBuilder().setDelayMs(3_600_000)).build(), 10_000)
          .toCompletionStage().toCompletableFuture().get(15, TimeUnit.SECONDS);
      if (result.ok()) {
        return;
      }
      last = result.status() + " " + result.statusMessage();
      TimeUnit.MILLISECONDS.sleep(250);
    }
    throw new IllegalStateException("the second node did not route writes to the namespace's owner in a minute: " + last);
  }

  private JsonObject writeNamespace() {
    return bench.namespace(writeNs, "http://127.0.0.1:9/unused", new JsonObject().put("type", "local"));
  }

  /**
   * Moves the write runs to a namespace of their own, so that each run starts with an empty schedule. The earlier
   * runs' namespaces keep their delayed entries, as the minimal WAL keeps its earlier appends: deleting them (as the
   * bench did until session 29) left the next run to pay for RocksDB's compaction of a million deleted rows, which is
   * the cost of deleting a namespace, not of a write.
   */
  private void fresh(NodeProcess node) throws Exception {
    writeNs = "bench-local-w" + ++namespacesMade;
    node.createNamespace(writeNamespace());
  }

  /** Runs {@code run}, keeping when it ran as the window of the flame graph {@code svg}. */
  private Measurement windowed(String svg, String title, java.util.concurrent.Callable<Measurement> run) throws Exception {
    Instant from = Instant.now();
    Measurement m = run.call();
    writeRuns.put(svg, new Window(from, Instant.now(), title));
    return m;
  }

  private void flameGraphs(Path recording, Path dir) throws Exception {
    StringBuilder written = new StringBuilder();
    for (var run : writeRuns.entrySet()) {
      long samples = FlameGraph.write(recording, run.getValue().from(), run.getValue().to(), dir.resolve(run.getKey()),
          run.getValue().title());
      written.append(dir.resolve(run.getKey())).append(" (").append(samples).append(" samples), ");
    }
    long delivered = deliveries.measuredFrom() == null ? 0 : FlameGraph.write(recording, deliveries.measuredFrom(),
        deliveries.measuredTo(),
        dir.resolve("delivery-path.svg"), "walmesh node, writes and their delivery to an HTTP target, " + bench.concurrency
            + " writers");
    System.err.printf("flame graphs: %s%s (%d samples)%n", written, dir.resolve("delivery-path.svg"), delivered);
  }

  private void local(NodeProcess node, GrpcWriteClient toNode, GrpcWriteClient toMinimal, int minimalPort) throws Exception {
    String what = "minimal grpc-java WAL (same proto, same group-commit fsync append), own process";
    // one untimed pass each: both JVMs' JITs warm before either side is measured
    bench.writes("local: walmesh WriteToLog (untimed warm-up)", toNode, writeNs);
    bench.writes("minimal WAL WriteToLog (untimed warm-up)", toMinimal, "bench-local-w");
    Measurement[] unaries = alternating(() -> {
      fresh(node);
      // the last of the runs is the flame graph's
      return windowed("write-path.svg", "walmesh node, unary WriteToLog, " + bench.concurrency
          + " in flight (delayed entries: no delivery)", () -> bench.writes("local: walmesh WriteToLog", toNode, writeNs));
    }, () -> bench.writes("minimal WAL WriteToLog", toMinimal, "bench-local-w"));
    Measurement unary = unaries[0];
    Measurement minimalUnary = unaries[1];
    fresh(node);
    Measurement batched = windowed("write-path-batch.svg", "walmesh node, WriteToLogBatch, " + bench.batch
        + " per call (delayed entries: no delivery)", () -> bench.batchedWrites("local: walmesh WriteToLogBatch", toNode,
        writeNs));
    Measurement minimalBatched = bench.batchedWrites("minimal WAL WriteToLogBatch", toMinimal, "bench-local-w");
    fresh(node);
    Measurement streamed = windowed("write-path-stream.svg", "walmesh node, WriteToLogStream, " + bench.concurrency
        + " in flight on one stream (delayed entries: no delivery)",
        () -> bench.streamedWrites("local: walmesh WriteToLogStream", vertx, node.grpcPort(), writeNs));
    Measurement minimalStreamed = bench.streamedWrites("minimal WAL WriteToLogStream", vertx, minimalPort, "bench-local-w");
    rows("local", what, MINIMAL, unary, minimalUnary, batched, minimalBatched, streamed, minimalStreamed);
    try (RawRocksLog rocks = new RawRocksLog(Files.createDirectories(work.resolve("raw-rocks")))) {
      Measurement raw = bench.loop("local: raw RocksDB synced append, in this process",
          () -> rocks.append(LatencySink.stamp(bench.payloadBytes)));
      String rawWhat = "raw RocksDB synced append, same group commit, no network";
      bench.row("local", "unary write throughput (ops/s)", unary.throughput(), raw.throughput(), rawWhat);
      bench.row("local", "streamed write throughput (ops/s)", streamed.throughput(), raw.throughput(), rawWhat);
    }
  }

  /**
   * SQS, with ElasticMQ in a process of its own: walmesh's unary writes and batches against a raw {@code SqsAsyncClient}
   * sending each message with {@code SendMessage} and the same {@code DelaySeconds}, in this process, with one
   * receiver long-polling its queue as walmesh's consumer does. Each side warms
   * up first, so neither is measured on a cold ElasticMQ. With {@code curves}, both sides' unary writes are swept over
   * the curve's in-flight counts too.
   */
  private void sqs(NodeProcess node, GrpcWriteClient toNode, String endpoint, List<CurvePlot.Series> curves)
      throws Exception {
    node.createNamespace(bench.namespace("bench-sqs-w", "http://127.0.0.1:9/unused", new JsonObject().put("type", "sqs")
        .put("config", new JsonObject().put("endpoint", endpoint).put("access-key-id", "x").put("secret-access-key", "x")
            .put("wait-time-secs", 1).put("wal-queue", "bench-w"))));
    try (SqsBaseline raw = new SqsBaseline(vertx, endpoint, 9, bench.concurrency)) {
      // the writes are due in an hour: SQS's longest delay, 900 s, on both sides
      Supplier<Future<?>> rawSend = () -> raw.send("raw-w", LatencySink.stamp(bench.payloadBytes), 900);
      bench.writes("sqs: walmesh WriteToLog (untimed warm-up)", toNode, "bench-sqs-w");
      // one long poll waits on the raw queue, as walmesh's consumer waits on its own: on ElasticMQ a waiting receive
      // slows every send to its queue (without it the raw client did 2,500/s, with it 240/s), so both sides have one
      raw.startConsumer("raw-w", 1);
      bench.loop("sqs: raw SendMessage (untimed warm-up)", rawSend);
      Measurement unary = bench.writes("sqs: walmesh WriteToLog", toNode, "bench-sqs-w");
      Measurement sent = bench.loop("sqs: raw SendMessage", rawSend);
      Measurement batched = bench.batchedWrites("sqs: walmesh WriteToLogBatch", toNode, "bench-sqs-w");
      String what = "raw SqsAsyncClient SendMessage + one long-polling receiver, same ElasticMQ (own process)";
      bench.row("sqs", "unary write throughput (ops/s)", unary.throughput(), sent.throughput(), what);
      for (int p : new int[] {50, 99}) {
        bench.row("sqs", "unary write latency p" + p + " (ms)", unary.percentileMs(p), sent.percentileMs(p), what);
      }
      bench.row("sqs", "batched write throughput (entries/s)", batched.throughput(), sent.throughput(), what);
      if (curves != null) {
        // ElasticMQ slows as a queue holds more delayed messages: each point starts from an empty queue
        curves.add(curve("sqs: walmesh WriteToLog", inFlight -> {
          Bench.await(raw.purge("bench-w"));
          return bench.writes("sqs: walmesh WriteToLog c=" + inFlight, toNode, "bench-sqs-w", inFlight);
        }, "#9467bd"));
        curves.add(curve("sqs: raw SendMessage", inFlight -> {
          Bench.await(raw.purge("raw-w"));
          return bench.loop("sqs: raw SendMessage c=" + inFlight, inFlight, rawSend);
        }, "#8c564b"));
      }
    }
  }

  /**
   * Kafka writes, against two baselines: the raw producer in this process (no gRPC at all), and the minimal gRPC front
   * of Kafka in a process of its own ({@link MinimalWal} {@code --kafka}), which takes gRPC's cost out of the ratio.
   */
  private void kafka(NodeProcess node, GrpcWriteClient toNode, KafkaBaseline raw, int minimalPort) throws Exception {
    String what = "raw KafkaProducer acks=all idempotent, same broker (own process)";
    GrpcWriteClient toMinimal = new GrpcWriteClient(vertx, "127.0.0.1", minimalPort);
    try {
      bench.writes("kafka: walmesh WriteToLog (untimed warm-up)", toNode, "bench-kafka-w");
      bench.writes("kafka: minimal gRPC front WriteToLog (untimed warm-up)", toMinimal, "bench-kafka-w");
      bench.loop("kafka: raw KafkaProducer (untimed warm-up)", () -> raw.send("raw-w", LatencySink.stamp(bench.payloadBytes)));
      // the last of the runs is the flame graph's
      Measurement[] unaries = alternating(() -> windowed("kafka-write-path.svg", "walmesh node, kafka namespace, unary"
              + " WriteToLog, " + bench.concurrency + " in flight", () -> bench.writes("kafka: walmesh WriteToLog", toNode,
              "bench-kafka-w")),
          () -> bench.writes("kafka: minimal gRPC front WriteToLog", toMinimal, "bench-kafka-w"));
      Measurement unary = unaries[0];
      Measurement minimalUnary = unaries[1];
      Measurement producer = bench.loop("kafka: raw KafkaProducer", () -> raw.send("raw-w", LatencySink.stamp(bench.payloadBytes)));
      Measurement batched = windowed("kafka-write-path-batch.svg", "walmesh node, kafka namespace, WriteToLogBatch, "
          + bench.batch + " per call", () -> bench.batchedWrites("kafka: walmesh WriteToLogBatch", toNode, "bench-kafka-w"));
      Measurement minimalBatched = bench.batchedWrites("kafka: minimal gRPC front WriteToLogBatch", toMinimal, "bench-kafka-w");
      Measurement streamed = windowed("kafka-write-path-stream.svg", "walmesh node, kafka namespace, WriteToLogStream, "
          + bench.concurrency + " in flight on one stream", () -> bench.streamedWrites("kafka: walmesh WriteToLogStream",
          vertx, node.grpcPort(), "bench-kafka-w"));
      Measurement minimalStreamed = bench.streamedWrites("kafka: minimal gRPC front WriteToLogStream", vertx, minimalPort,
          "bench-kafka-w");
      // the raw producer runs in this client process: no server process whose CPU compares with the node's
      rows("kafka", what, null, unary, producer, batched, producer, streamed, producer);
      rows("kafka", "minimal grpc-java server producing each request to Kafka (same settings, same broker), own process",
          MINIMAL_KAFKA, unary, minimalUnary, batched, minimalBatched, streamed, minimalStreamed);
    } finally {
      toMinimal.close();
    }
  }

  /** Unary runs per side in {@link #alternating}. */
  static final int ROUNDS = 3;

  /**
   * Measures two sides alternately, {@value #ROUNDS} runs each (a, b, a, b, ...), and answers each side's run of
   * median throughput: on 2 shared cores one run of a side can be a third slower than the next, and alternating puts
   * both sides through the same slow and fast spells.
   */
  private static Measurement[] alternating(java.util.concurrent.Callable<Measurement> a,
                                           java.util.concurrent.Callable<Measurement> b) throws Exception {
    List<Measurement> as = new ArrayList<>();
    List<Measurement> bs = new ArrayList<>();
    for (int round = 0; round < ROUNDS; round++) {
      as.add(a.call());
      bs.add(b.call());
    }
    java.util.Comparator<Measurement> byThroughput = java.util.Comparator.comparingDouble(Measurement::throughput);
    as.sort(byThroughput);
    bs.sort(byThroughput);
    System.err.printf("  alternating runs: %s %s; %s %s%n", as.get(0).name(), as.stream().map(m -> String.format("%,.0f",
        m.throughput())).toList(), bs.get(0).name(), bs.stream().map(m -> String.format("%,.0f", m.throughput())).toList());
    return new Measurement[] {as.get(ROUNDS / 2), bs.get(ROUNDS / 2)};
  }

  /** {@link CpuMeter} labels of the node and the baselines' server processes. */
  static final String NODE = "node";
  static final String MINIMAL = "minimal WAL";
  static final String MINIMAL_KAFKA = "minimal kafka front";

  /**
   * The write rows of one backend: each walmesh call style against its baseline; with {@code baselineServer} (the
   * {@link CpuMeter} label of the baseline's server process), also the CPU each write cost the node against what it
   * cost that server.
   */
  private void rows(String backend, String what, String baselineServer, Measurement unary, Measurement unaryBaseline,
                    Measurement batched, Measurement batchedBaseline, Measurement streamed, Measurement streamedBaseline) {
    if (baselineServer != null) {
      bench.row(backend, "unary: server CPU per write (us)", unary.cpuMicrosPerOp(NODE),
          unaryBaseline.cpuMicrosPerOp(baselineServer), what);
      bench.row(backend, "batched: server CPU per entry (us)", batched.cpuMicrosPerOp(NODE),
          batchedBaseline.cpuMicrosPerOp(baselineServer), what);
      bench.row(backend, "streamed: server CPU per write (us)", streamed.cpuMicrosPerOp(NODE),
          streamedBaseline.cpuMicrosPerOp(baselineServer), what);
      byRole(bench, backend, what, NODE, baselineServer, "unary", "write", unary, unaryBaseline);
      byRole(bench, backend, what, NODE, baselineServer, "batched", "entry", batched, batchedBaseline);
      byRole(bench, backend, what, NODE, baselineServer, "streamed", "write", streamed, streamedBaseline);
    }
    bench.row(backend, "unary write throughput (ops/s)", unary.throughput(), unaryBaseline.throughput(), what);
    bench.row(backend, "unary write latency p50 (ms)", unary.percentileMs(50), unaryBaseline.percentileMs(50), what);
    bench.row(backend, "unary write latency p99 (ms)", unary.percentileMs(99), unaryBaseline.percentileMs(99), what);
    bench.row(backend, "batched write throughput (entries/s)", batched.throughput(), batchedBaseline.throughput(), what);
    bench.row(backend, "streamed write throughput (ops/s)", streamed.throughput(), streamedBaseline.throughput(), what);
    bench.row(backend, "streamed write latency p99 (ms)", streamed.percentileMs(99), streamedBaseline.percentileMs(99), what);
  }

  /** Roles of threads under this many microseconds per write on both sides get no row of their own. */
  private static final double ROLE_ROW_MIN_US = 0.2;

  /**
   * Rows of where an operation's server CPU goes, per role of the threads ({@link CpuMeter#role}), the {@code server}
   * process (watched by thread under that label) against the {@code baselineServer}: event loops against event loops,
   * the node's log thread against the minimal WAL's writer, and so on.
   */
  static void byRole(Bench bench, String backend, String what, String server, String baselineServer, String style,
                     String per, Measurement node, Measurement baseline) {
    java.util.Set<String> roles = new java.util.TreeSet<>();
    java.util.stream.Stream.of(node.cpuNanos().keySet(), baseline.cpuNanos().keySet()).flatMap(java.util.Set::stream)
        .filter(key -> key.startsWith(server + " / ") || key.startsWith(baselineServer + " / "))
        .forEach(key -> roles.add(key.substring(key.indexOf(" / ") + 3)));
    for (String role : roles) {
      double ours = orZero(node.cpuMicrosPerOp(server + " / " + role));
      double theirs = orZero(baseline.cpuMicrosPerOp(baselineServer + " / " + role));
      if (ours >= ROLE_ROW_MIN_US || theirs >= ROLE_ROW_MIN_US) {
        bench.row(backend, style + ": CPU per " + per + ", " + role + " (us)", ours, theirs, what);
      }
    }
  }

  private static double orZero(double value) {
    return Double.isNaN(value) ? 0 : value;
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
