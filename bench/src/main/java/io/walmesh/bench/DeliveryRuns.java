package io.walmesh.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.node.gateway.GrpcWriteClient;
import io.walmesh.protocol.v1.Lifecycle;
import io.walmesh.protocol.v1.WriteToLogRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The delivery runs of {@code bench/run --processes}: walmesh delivering from its log, queue or topic to an HTTP
 * service in this process (or producing to a Kafka target), against hand-written consumers on the same storage. Each
 * comparison measures the entries applied per second while they are written (written meanwhile), a stored backlog
 * released at one instant, and write-to-applied latency at a paced rate.
 */
final class DeliveryRuns {
  /** {@link CpuMeter} label of the minimal gRPC WAL (or Kafka front) that delivers, while it runs. */
  private static final String MINIMAL_DELIVERING = "minimal delivering";
  private final Bench bench;
  private final Vertx vertx;
  private final Path work;
  /** When the local written-meanwhile run was measured, for the delivery flame graph of {@code --profile}. */
  private Instant measuredFrom;
  private Instant measuredTo;
  /** How long the last {@link #deliver} run took to write its entries. */
  private long writeMillis;

  DeliveryRuns(Bench bench, Vertx vertx, Path work) {
    this.bench = bench;
    this.vertx = vertx;
    this.work = work;
  }

  /** The start of the measured local delivery run, null before it ran. */
  Instant measuredFrom() {
    return measuredFrom;
  }

  Instant measuredTo() {
    return measuredTo;
  }

  /**
   * Delivery, on the fresh node before the write runs fill its log, three ways, each for walmesh and for the
   * hand-written consumer on the raw log: (1) a fixed number of entries due at once, written {@code --concurrency}
   * at a time while they are delivered, timed from the first write to the last delivery; (2) a drain: the same
   * number stored first and released at one instant, timed from the release to the last delivery (the consumer's
   * own speed, with no writes competing for the 2 cores); (3) writes paced at half the slower side's rate in (1),
   * for write-to-applied latency that no backlog hides; walmesh's twice, after its idle spell and after a warm-up
   * ({@link #walmeshPaced}). Each target is an HTTP service in this process. (1) and (3)
   * run a third time against the minimal gRPC WAL delivering with the same consumer in its own process
   * ({@link #minimalDelivering}): the hand consumer here gets its writes as function calls, walmesh over gRPC.
   */
  void local(NodeProcess node, GrpcWriteClient toNode) throws Exception {
    int entries = bench.durationSecs * 4_000;
    LatencySink sink = new LatencySink(vertx);
    try (RawRocksLog rocks = new RawRocksLog(Files.createDirectories(work.resolve("raw-rocks-delivery")))) {
      node.createNamespace(bench.namespace("bench-local-e2e", sink.url(), new JsonObject().put("type", "local")));
      Supplier<Future<?>> walmeshWrite = () -> toNode.write(bench.stamped("bench-local-e2e"), 10_000);
      Supplier<Future<?>> rawWrite = () -> rocks.append(LatencySink.stamp(bench.payloadBytes));
      // warm-up twice as long as the measured run, as the minimal WAL's and the other backends' get: the node's JIT is
      // still compiling the delivery path after a shorter one (session 31: 3,708/s in a warm-up of 60,000 entries,
      // 9,599/s in the measured run after it, 23,326/s later in the same process)
      deliver("local: walmesh delivery (untimed warm-up)", sink, 2 * entries, walmeshWrite);
      measuredFrom = Instant.now();
      Measurement delivered = measured("local: walmesh delivery", sink, entries, walmeshWrite);
      measuredTo = Instant.now();
      Measurement drained = walmeshDrain("local: walmesh drain", sink, 2 * entries, toNode, "bench-local-e2e");
      long idleFrom = System.nanoTime();
      HandConsumer consumer = HandConsumer.forRocks(vertx, rocks, sink.port(), bench.concurrency);
      deliver("local: hand consumer (untimed warm-up)", sink, entries, rawWrite);
      Measurement handDelivered = measured("local: raw append + hand consumer", sink, entries, rawWrite);
      Measurement handDrained = drain("local: hand consumer drain", sink, 2 * entries, () -> {
        consumer.pause();
        return new Backlog(rawWrite, () -> {
          consumer.resume();
          return System.currentTimeMillis();
        });
      });
      double rate = bench.pacedRate(delivered, handDelivered);
      Measurement handPaced = bench.paced("local: raw append + hand consumer", vertx, sink, rate, rawWrite);
      consumer.close();
      Measurement[] minimal = minimalDelivering("local", sink, entries, rate, work.resolve("minimal-delivery").toString(),
          "--deliver-to=" + sink.port(), Integer.toString(bench.concurrency));
      Measurement paced = walmeshPaced("local", sink, rate, entries, walmeshWrite, idleFrom);
      minimalRows("local", "minimal gRPC WAL + the same hand-written consumer, own process (writes over gRPC on both"
          + " sides)", delivered, paced, minimal, rate);
      String what = "raw append + hand-written tail -> HTTP POST -> delete, in this process";
      bench.row("local", "delivery throughput, written meanwhile (entries/s)", delivered.throughput(),
          handDelivered.throughput(), what);
      bench.row("local", "delivery throughput, stored backlog (entries/s)", drained.throughput(),
          handDrained.throughput(), what);
      for (int p : new int[] {50, 99}) {
        bench.row("local", "write-to-applied p" + p + " (ms) @" + (long) rate + "/s", paced.percentileMs(p),
            handPaced.percentileMs(p), what);
      }
    } finally {
      sink.close();
    }
  }

  /**
   * The minimal gRPC WAL delivering what it stores with the hand-written consumer, in a process of its own
   * ({@code MinimalWal --deliver-to}): the same entries written over gRPC while they are delivered, then paced at
   * {@code rate}. walmesh's writes reach it over gRPC, the in-process baseline's are function calls in this process; this
   * side's come the way walmesh's do. Answers the written-meanwhile and the paced measurement.
   */
  private Measurement[] minimalDelivering(String backend, LatencySink sink, int entries, double rate, String... args)
      throws Exception {
    String[] all = new String[args.length + 1];
    all[0] = "0";
    System.arraycopy(args, 0, all, 1, args.length);
    try (JavaChild minimal = JavaChild.start(work.resolve("minimal-delivery-" + backend + ".log"), JavaChild.NODE_MEMORY,
        MinimalWal.class, all)) {
      GrpcWriteClient toMinimal = bench.grpcClient(vertx, Integer.parseInt(minimal.address()));
      try {
        bench.cpu.watchThreads(MINIMAL_DELIVERING, ProcessHandle.of(minimal.pid()).orElseThrow());
        Supplier<Future<?>> write = () -> toMinimal.write(bench.stamped("bench-" + backend + "-e2e"), 10_000);
        deliver(backend + ": minimal WAL delivering (untimed warm-up)", sink, 2 * entries, write);
        Measurement delivered = measured(backend + ": minimal gRPC WAL + hand consumer", sink, entries, write);
        Measurement paced = bench.paced(backend + ": minimal gRPC WAL + hand consumer", vertx, sink, rate, write);
        return new Measurement[] {delivered, paced};
      } finally {
        bench.cpu.forget(MINIMAL_DELIVERING);
        toMinimal.close();
      }
    }
  }

  /** walmesh's written-meanwhile and paced figures against the minimal WAL's ({@link #minimalDelivering}). */
  private void minimalRows(String backend, String what, Measurement delivered, Measurement paced, Measurement[] minimal,
                           double rate) {
    bench.row(backend, "delivery throughput, written meanwhile (entries/s)", delivered.throughput(),
        minimal[0].throughput(), what);
    // what each entry, written and delivered, cost the server and this process (its writer and the HTTP service):
    // CPU per entry moves less with a shared machine's noise than entries per second
    bench.row(backend, "written meanwhile: server CPU per entry (us)", delivered.cpuMicrosPerOp(SeparateProcesses.NODE),
        minimal[0].cpuMicrosPerOp(MINIMAL_DELIVERING), what);
    bench.row(backend, "written meanwhile: this process's CPU per entry (us)", delivered.cpuMicrosPerOp("client"),
        minimal[0].cpuMicrosPerOp("client"), what + "; this process writes and runs the HTTP service for both");
    SeparateProcesses.byRole(bench, backend, what, SeparateProcesses.NODE, MINIMAL_DELIVERING, "written meanwhile",
        "entry", delivered, minimal[0]);
    for (int p : new int[] {50, 99}) {
      bench.row(backend, "write-to-applied p" + p + " (ms) @" + (long) rate + "/s", paced.percentileMs(p),
          minimal[1].percentileMs(p), what);
    }
  }

  /**
   * The hand-written side of a delivery comparison: its writes, what starts its consumer, and what builds a stored
   * backlog (writes that stay unconsumed, and what releases them to a consumer).
   */
  private record HandSide(Supplier<Future<?>> write, Runnable startConsumer, Supplier<Backlog> backlog) {
  }

  /**
   * Kafka delivery, on the same broker, against a hand-written consumer ({@link KafkaBaseline}: poll, POST each record
   * to the sink, {@code commitSync}); walmesh's stored backlog is held in its consumer's window (the only delay tier is
   * 2 h), the hand consumer's is built while it is paused.
   */
  void kafka(NodeProcess node, GrpcWriteClient toNode, String bootstrap) throws Exception {
    int entries = bench.durationSecs * 2_000;
    LatencySink sink = new LatencySink(vertx);
    try (KafkaBaseline raw = new KafkaBaseline(vertx, bootstrap, sink.port(), bench.concurrency)) {
      raw.createTopic("raw-e2e");
      raw.createTopic("minimal-e2e");
      Supplier<Future<?>> rawWrite = () -> raw.send("raw-e2e", LatencySink.stamp(bench.payloadBytes));
      backendDelivery("kafka", node, toNode, sink, entries, Bench.kafkaBackend(bootstrap, "bench-kafka-e2e", new JsonObject()
          .put("delay-tiers-secs", new JsonArray().add(7_200)).put("window.max-entries", 4 * entries)),
          new HandSide(rawWrite, () -> raw.startConsumer("raw-e2e"), () -> {
            raw.pauseConsumer();
            return new Backlog(rawWrite, () -> {
              raw.resumeConsumer();
              return System.currentTimeMillis();
            });
          }), "raw KafkaProducer + hand-written poll -> HTTP POST -> commitSync, same broker",
          "minimal gRPC front of Kafka + the same hand-written consumer, own process (writes over gRPC on both sides)",
          new String[] {"--kafka=" + bootstrap, "minimal-e2e", "--deliver-to=" + sink.port(),
              Integer.toString(bench.concurrency)});
    } finally {
      sink.close();
    }
  }

  /**
   * Delivery to a {@code kafka} target (retries for a Kafka pipeline): a local namespace whose target produces each
   * entry to a topic, against a raw {@code KafkaProducer} sending the same records to a topic of its own. On both sides
   * the same hand-written consumer ({@link KafkaBaseline}) forwards what reaches the topic to the sink, so what is
   * compared is how fast each side gets records into Kafka: walmesh with its local log, lease, target and settle in
   * between, the raw producer with nothing.
   */
  void kafkaTarget(NodeProcess node, GrpcWriteClient toNode, String bootstrap) throws Exception {
    int entries = bench.durationSecs * 2_000;
    LatencySink sink = new LatencySink(vertx);
    String what = "raw KafkaProducer to a topic, the same hand-written consumer forwarding both topics to the sink";
    try {
      String namespace = "bench-local-to-kafka";
      Measurement delivered;
      Measurement drained;
      try (KafkaBaseline forward = new KafkaBaseline(vertx, bootstrap, sink.port(), bench.concurrency)) {
        forward.createTopic("target-out");
        node.createNamespace(bench.namespace(namespace, sink.url(), new JsonObject().put("type", "local"))
            .put("targets", new JsonArray().add(new JsonObject().put("name", "pipeline").put("type", "kafka")
                .put("config", new JsonObject().put("bootstrap-servers", bootstrap).put("topic", "target-out")))));
        forward.startConsumer("target-out");
        Supplier<Future<?>> walmeshWrite = () -> toNode.write(bench.stamped(namespace), 10_000);
        deliver("kafka target: walmesh (untimed warm-up)", sink, 2 * entries, walmeshWrite);
        delivered = measured("kafka target: walmesh", sink, entries, walmeshWrite);
        drained = walmeshDrain("kafka target: walmesh drain", sink, 2 * entries, toNode, namespace);
      }
      try (KafkaBaseline raw = new KafkaBaseline(vertx, bootstrap, sink.port(), bench.concurrency)) {
        raw.createTopic("target-raw");
        raw.startConsumer("target-raw");
        Supplier<Future<?>> rawWrite = () -> raw.send("target-raw", LatencySink.stamp(bench.payloadBytes));
        deliver("kafka target: raw producer (untimed warm-up)", sink, 2 * entries, rawWrite);
        Measurement handDelivered = measured("kafka target: raw producer", sink, entries, rawWrite);
        bench.row("kafka-target", "delivery throughput, written meanwhile (entries/s)", delivered.throughput(),
            handDelivered.throughput(), what);
        bench.row("kafka-target", "delivery throughput, stored backlog (entries/s)", drained.throughput(),
            handDelivered.throughput(), what);
      }
    } finally {
      sink.close();
    }
  }

  /**
   * SQS delivery, on the same ElasticMQ, against a hand-written consumer ({@link SqsBaseline}: receivers long-polling
   * 10 messages at a time, POST each to the sink, delete it). Its stored backlog goes to a queue of its own whose
   * receivers start at the release; walmesh's entries are due at one instant (SQS's own delay).
   */
  void sqs(NodeProcess node, GrpcWriteClient toNode, String endpoint) throws Exception {
    int entries = bench.durationSecs * 200;
    LatencySink sink = new LatencySink(vertx);
    try (SqsBaseline raw = new SqsBaseline(vertx, endpoint, sink.port(), bench.concurrency)) {
      Supplier<Future<?>> rawWrite = () -> raw.send("raw-e2e", LatencySink.stamp(bench.payloadBytes), 0);
      backendDelivery("sqs", node, toNode, sink, entries, new JsonObject().put("type", "sqs").put("config", new JsonObject()
          .put("endpoint", endpoint).put("access-key-id", "x").put("secret-access-key", "x").put("wait-time-secs", 1)
          .put("wal-queue", "bench-e2e")), new HandSide(rawWrite, () -> raw.startConsumer("raw-e2e"),
          () -> new Backlog(() -> raw.send("raw-drain", LatencySink.stamp(bench.payloadBytes), 0), () -> {
            raw.startConsumer("raw-drain");
            return System.currentTimeMillis();
          })), "raw SqsAsyncClient SendMessage + hand-written receive -> HTTP POST -> delete, same ElasticMQ");
    } finally {
      sink.close();
    }
  }

  /**
   * One backend's delivery runs, walmesh against a hand-written consumer on the same server: written meanwhile, a
   * stored backlog, and paced. Each side warms up on twice the run's entries first: the first 30,000 deliveries on a
   * fresh node ran at a third of the speed of the next ones.
   */
  private void backendDelivery(String backend, NodeProcess node, GrpcWriteClient toNode, LatencySink sink, int entries,
                        JsonObject backendJson, HandSide hand, String what) throws Exception {
    backendDelivery(backend, node, toNode, sink, entries, backendJson, hand, what, null, null);
  }

  /**
   * The same, and with {@code minimalArgs} the written-meanwhile and paced runs against the minimal gRPC WAL delivering
   * in its own process too ({@link #minimalDelivering}), described by {@code minimalWhat}.
   */
  private void backendDelivery(String backend, NodeProcess node, GrpcWriteClient toNode, LatencySink sink, int entries,
                        JsonObject backendJson, HandSide hand, String what, String minimalWhat, String[] minimalArgs)
      throws Exception {
    String namespace = "bench-" + backend + "-e2e";
    node.createNamespace(bench.namespace(namespace, sink.url(), backendJson));
    Supplier<Future<?>> walmeshWrite = () -> toNode.write(bench.stamped(namespace), 10_000);
    deliver(backend + ": walmesh delivery (untimed warm-up)", sink, 2 * entries, walmeshWrite);
    Measurement delivered = measured(backend + ": walmesh delivery", sink, entries, walmeshWrite);
    Measurement drained = walmeshDrain(backend + ": walmesh drain", sink, 2 * entries, toNode, namespace);
    long idleFrom = System.nanoTime();
    hand.startConsumer().run();
    deliver(backend + ": hand consumer (untimed warm-up)", sink, 2 * entries, hand.write());
    Measurement handDelivered = measured(backend + ": raw write + hand consumer", sink, entries, hand.write());
    Measurement handDrained = drain(backend + ": hand consumer drain", sink, 2 * entries, hand.backlog());
    double rate = bench.pacedRate(delivered, handDelivered);
    Measurement handPaced = bench.paced(backend + ": raw write + hand consumer", vertx, sink, rate, hand.write());
    Measurement[] minimal = minimalArgs == null ? null : minimalDelivering(backend, sink, entries, rate, minimalArgs);
    Measurement paced = walmeshPaced(backend, sink, rate, entries, walmeshWrite, idleFrom);
    if (minimal != null) {
      minimalRows(backend, minimalWhat, delivered, paced, minimal, rate);
    }
    bench.row(backend, "delivery throughput, written meanwhile (entries/s)", delivered.throughput(),
        handDelivered.throughput(), what);
    bench.row(backend, "delivery throughput, stored backlog (entries/s)", drained.throughput(),
        handDrained.throughput(), what);
    for (int p : new int[] {50, 99}) {
      bench.row(backend, "write-to-applied p" + p + " (ms) @" + (long) rate + "/s", paced.percentileMs(p),
          handPaced.percentileMs(p), what);
    }
  }

  /**
   * walmesh's paced run, twice. First as it comes: the node has sat idle since {@code idleFromNanos}, through the other
   * sides' runs (a minute or more). Then after a short warm-up, as each other side's paced run follows its own runs:
   * that one is compared with them, and the first gets rows of its own against it, since a stall after an idle spell
   * is one a user sees too. Answers the second.
   */
  private Measurement walmeshPaced(String backend, LatencySink sink, double rate, int entries, Supplier<Future<?>> write,
                                   long idleFromNanos) throws Exception {
    long idleSecs = (System.nanoTime() - idleFromNanos) / 1_000_000_000L;
    Measurement afterIdle = bench.paced(backend + ": walmesh, idle " + idleSecs + " s before", vertx, sink, rate, write);
    deliver(backend + ": walmesh delivery (untimed warm-up)", sink, Math.max(1, entries / 4), write);
    Measurement paced = bench.paced(backend + ": walmesh", vertx, sink, rate, write);
    for (int p : new int[] {50, 99}) {
      bench.row(backend, "write-to-applied p" + p + " (ms) @" + (long) rate + "/s, after the node sat idle "
          + idleSecs + " s", afterIdle.percentileMs(p), paced.percentileMs(p), "walmesh's paced run right after a"
          + " warm-up, as the other sides' follow their own runs");
    }
    return paced;
  }

  /**
   * walmesh's stored backlog: {@code entries} written to {@code namespace} due at one instant, well after the writes
   * end (four times as long as the last written-meanwhile run took to write its entries, at least 3 s), then drained.
   */
  private Measurement walmeshDrain(String name, LatencySink sink, int entries, GrpcWriteClient toNode, String namespace)
      throws Exception {
    long releaseAfterMs = Math.max(3_000, 4 * writeMillis);
    return drain(name, sink, entries, () -> {
      long dueAt = System.currentTimeMillis() + releaseAfterMs;
      return new Backlog(() -> toNode.write(delayedUntil(namespace, dueAt), 10_000), () -> dueAt);
    });
  }

  /** A drain run's writes, and what releases them: answers the instant (epoch ms) they are deliverable from. */
  private record Backlog(Supplier<Future<?>> write, Supplier<Long> release) {
  }

  private WriteToLogRequest delayedUntil(String namespace, long dueAtMs) {
    return bench.stamped(namespace).toBuilder()
        .setLifecycle(Lifecycle.newBuilder().setDelayMs(Math.max(0, dueAtMs - System.currentTimeMillis()))).build();
  }

  /**
   * Stores {@code entries} that are not deliverable yet, releases them at once, and times their delivery from the
   * release to the last one applied (only what was applied after the release counts).
   */
  private Measurement drain(String name, LatencySink sink, int entries, Supplier<Backlog> prepare) throws Exception {
    sink.reset();
    Backlog backlog = prepare.get();
    long failed = writeAll(entries, backlog.write());
    long releasedAt = backlog.release().get();
    long wait = releasedAt - System.currentTimeMillis();
    if (wait > 0) {
      TimeUnit.MILLISECONDS.sleep(wait);
    } else {
      System.err.printf("  %s: the writes ended %d ms after the release%n", name, -wait);
    }
    long early = sink.delivered();
    long start = System.nanoTime();
    awaitDelivered(name, sink, entries - failed);
    double seconds = (System.nanoTime() - start) / 1e9;
    Measurement m = new Measurement(name, sink.delivered() - early, failed, seconds, sink.latencies());
    System.err.printf("  %-36s %,d stored entries applied in %.1f s after their release: %,.0f/s%n", name, m.ops(),
        seconds, m.throughput());
    bench.raw.add(m.toJson().put("entries", entries).put("applied-before-release", early));
    return m;
  }

  /** Measured runs of a written-meanwhile figure, back to back; the figure is their median. */
  static final int ROUNDS = 3;

  /**
   * {@link #ROUNDS} written-meanwhile runs back to back, each printed and kept in the raw results; answers the median
   * by throughput. One run moved between 0.51 and 1.06 of the minimal WAL's in session 32's six: a node whose JIT or
   * RocksDB was still settling after the warm-up made one slow run the figure. The median of three, after the same
   * warm-up, is what a steady node does.
   */
  private Measurement measured(String name, LatencySink sink, int entries, Supplier<Future<?>> write) throws Exception {
    List<Measurement> rounds = new ArrayList<>();
    for (int round = 1; round <= ROUNDS; round++) {
      rounds.add(deliver(name + " (run " + round + " of " + ROUNDS + ")", sink, entries, write));
    }
    List<Measurement> byRate = new ArrayList<>(rounds);
    byRate.sort(java.util.Comparator.comparingDouble(Measurement::throughput));
    Measurement median = byRate.get(ROUNDS / 2);
    System.err.printf("  %-36s median of %d runs: %,.0f/s (runs: %s)%n", name, ROUNDS, median.throughput(),
        rounds.stream().map(m -> String.format("%,.0f", m.throughput())).collect(java.util.stream.Collectors.joining(", ")));
    return median;
  }

  /** Writes {@code entries}, {@code --concurrency} in flight, and waits until the sink has them all (or stalls 10 s). */
  private Measurement deliver(String name, LatencySink sink, int entries, Supplier<Future<?>> write) throws Exception {
    sink.reset();
    java.util.Map<String, Long> cpuFrom = bench.cpu.sample();
    long start = System.nanoTime();
    long failed = writeAll(entries, write);
    writeMillis = (System.nanoTime() - start) / 1_000_000;
    awaitDelivered(name, sink, entries - failed);
    double seconds = (System.nanoTime() - start) / 1e9;
    Measurement m = new Measurement(name, sink.delivered(), failed, seconds, sink.latencies(),
        CpuMeter.between(cpuFrom, bench.cpu.sample()));
    System.err.printf("  %-36s %,d entries applied in %.1f s: %,.0f/s, write-to-applied p99 %.2f ms, %,d new connections"
        + " to the HTTP service%n", name, m.ops(), seconds, m.throughput(), m.percentileMs(99), sink.connections());
    bench.raw.add(m.toJson().put("entries", entries).put("sink-connections", sink.connections()));
    return m;
  }

  /** Writes {@code entries}, {@code --concurrency} in flight; answers how many failed. */
  private long writeAll(int entries, Supplier<Future<?>> write) throws InterruptedException {
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
    return failed.get();
  }

  /** Waits until the sink has applied {@code expected} entries, or nothing more arrived for 10 s. */
  private static void awaitDelivered(String name, LatencySink sink, long expected) throws InterruptedException {
    long last = -1;
    long stalledSince = System.nanoTime();
    while (sink.delivered() < expected) {
      long now = sink.delivered();
      if (now != last) {
        last = now;
        stalledSince = System.nanoTime();
      } else if (System.nanoTime() - stalledSince > TimeUnit.SECONDS.toNanos(10)) {
        System.err.printf("  %s: delivery stalled at %,d of %,d%n", name, now, expected);
        break;
      }
      TimeUnit.MILLISECONDS.sleep(20);
    }
  }
}
