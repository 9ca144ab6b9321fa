package io.walmesh.bench;

import com.google.protobuf.ByteString;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.node.Node;
import io.walmesh.node.NodeOptions;
import io.walmesh.node.gateway.GrpcWriteClient;
import io.walmesh.protocol.v1.Lifecycle;
import io.walmesh.protocol.v1.Trilean;
import io.walmesh.protocol.v1.WriteToLogBatchRequest;
import io.walmesh.protocol.v1.WriteToLogRequest;
import io.walmesh.testkit.ElasticMq;
import io.walmesh.testkit.KafkaBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench/run}: walmesh against a hand-written baseline on the same backend, same machine,
 * same run. For each backend: write throughput and latency over gRPC vs the raw client, and
 * end-to-end delivery (write to target applied) vs a hand-written consumer into the same target.
 */
@Command(name = "bench/run", mixinStandardHelpOptions = true,
    description = "Measures walmesh side by side with raw backend clients and prints the walmesh/baseline ratios.")
public final class Bench implements Callable<Integer> {
  @Option(names = "--backend", defaultValue = "all", description = "local, sqs, kafka or all (default: ${DEFAULT-VALUE}).")
  String backend;
  @Option(names = "--concurrency", defaultValue = "32", description = "Requests in flight (default: ${DEFAULT-VALUE}).")
  int concurrency;
  @Option(names = "--payload-bytes", defaultValue = "256", description = "Payload size (default: ${DEFAULT-VALUE}).")
  int payloadBytes;
  @Option(names = "--duration", defaultValue = "15", description = "Measured seconds per run (default: ${DEFAULT-VALUE}).")
  int durationSecs;
  @Option(names = "--warmup", defaultValue = "5", description = "Warm-up seconds per run (default: ${DEFAULT-VALUE}).")
  int warmupSecs;
  @Option(names = "--batch", defaultValue = "100", description = "Entries per WriteToLogBatch call (default: ${DEFAULT-VALUE}).")
  int batch;
  @Option(names = "--tls", description = {"Instead of the backends: the local write path with gRPC in plaintext and over TLS",
      "with a bearer token (a second node with tls and auth, certificates made for the run), side by side,",
      "with the raw RocksDB baseline."})
  boolean tls;

  @Option(names = "--memory", description = {"Instead of the backends: a node started by ./walmesh (the launcher's",
      "default JVM settings) in its own process, under unary writes from this one; prints its peak RSS."})
  boolean memory;

  @Option(names = "--rate", defaultValue = "10000", description = {"With --memory: writes offered per second, an open",
      "loop (default: ${DEFAULT-VALUE}, the rate docs/performance.md quotes); 0 for a closed loop at --concurrency."})
  double rate;

  @Option(names = "--paced-rate", paramLabel = "PER_SEC", description = {"The delivery runs' paced",
      "writes at this rate instead of half of what the slower side delivered while written to (the default, so",
      "neither side builds a backlog)."})
  Double pacedRate;

  @Option(names = "--processes", description = {"Every server in its own process, as users run them: the node",
      "started by ./walmesh, the minimal gRPC write-ahead log (same proto, same group-commit fsync append) and, for",
      "kafka, the broker, for sqs, ElasticMQ; this process is the client (--backend: local, kafka, sqs or all)."})
  boolean processes;

  @Option(names = "--mesh", description = {"Instead of the backends: two nodes in a mesh, each in its own process;",
      "unary writes to a local namespace through its owner and through the other node (routed over the event bus)."})
  boolean mesh;

  @Option(names = "--ab", arity = "0..1", fallbackValue = "", paramLabel = "OPTS", description = {"Instead of the",
      "backends: two nodes of this checkout, each in its own process, node B with these extra JVM options (e.g.",
      "--ab=-Dwalmesh.native-transport=false; none: an A/A run that shows the machine's noise), measured alternately on",
      "a local namespace (--backend kafka: a kafka namespace each, one broker in its own process): B's CPU per write and",
      "throughput against A's."})
  String ab;

  @Option(names = "--ab-repo", paramLabel = "DIR", description = {"With or without --ab: node B from the checkout DIR",
      "(e.g. a git worktree of an earlier commit), started by its ./walmesh: that builds it if needed, with",
      "install, so DIR's modules replace yours in ~/.m2 until you install yours again."})
  Path abRepo;

  @Option(names = "--ab-kafka", paramLabel = "K=V[,K=V...]", split = ",", description = {"With --ab or --ab-repo and",
      "--backend kafka: Kafka client properties for node B's namespace (its backend config \"kafka\"), e.g.",
      "--ab-kafka=linger.ms=0."})
  Map<String, String> abKafka = Map.of();

  @Option(names = "--only", paramLabel = "RUNS", description = {"With --processes: only the delivery runs (delivery),",
      "only the write runs (writes) of the chosen backends, or only the delivery to a kafka target (targets, with",
      "--backend kafka); default: all of them."})
  String only;

  @Option(names = "--curve", arity = "0..1", fallbackValue = "bench-curve.svg", paramLabel = "SVG",
      description = {"With --processes: also sweep unary writes at concurrency 1, 4, 16, 64 and 256 for walmesh and",
          "its baseline, and write the latency-throughput plot to SVG (default: bench-curve.svg)."})
  Path curve;

  @Option(names = "--profile", paramLabel = "DIR", description = {"With --processes: record the node with JDK Flight",
      "Recorder and write flame graphs of its write path (unary, batched and streamed; kafka-*.svg for a kafka namespace)",
      "and of its delivery path to DIR (SVG)."})
  Path profile;

  @Option(names = "--keep-connections", description = {"With --processes: the bench's gRPC clients and the namespaces'",
      "http targets keep idle connections " + KEPT_CONNECTION_SECS + " s instead of 60 s, so walmesh's paced delivery run",
      "after its idle spell meets no reconnection: what is left of its slow start is the node's own."})
  boolean keepConnections;
  /** How long {@code --keep-connections} keeps an idle connection open. */
  static final int KEPT_CONNECTION_SECS = 600;
  @Option(names = "--connections", defaultValue = "1", description = {"With --ab or --ab-repo: unary and batched writes",
      "go round-robin over this many gRPC connections to each node, as several clients' would; a node serves each",
      "connection on one of its event loops (default: ${DEFAULT-VALUE})."})
  int connections;
  @Option(names = "--keep", description = {"Keep the work directory when the run succeeds too, and print where it is:",
      "the node's log, its RocksDB directory with RocksDB's own LOG and OPTIONS files, the minimal WAL's and the brokers'",
      "data. Removed by default: gigabytes after a full run."})
  boolean keep;
  @Option(names = "--quick", description = "3 s warm-up, 5 s runs: a smoke run, not figures to quote.")
  boolean quick;
  @Option(names = "--out", defaultValue = "bench-results.json", description = "JSON results file (default: ${DEFAULT-VALUE}).")
  Path out;

  private final List<JsonObject> rows = new ArrayList<>();
  final List<JsonObject> raw = new ArrayList<>();
  /** The processes whose CPU time each measured write run counts: this client, and the servers a mode starts. */
  final CpuMeter cpu = new CpuMeter();

  public static void main(String[] args) {
    System.exit(new CommandLine(new Bench()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (quick) {
      durationSecs = 5;
      warmupSecs = 3;
    }
    // the nodes' logs, RocksDB directories and brokers' data: gigabytes after a full run, removed when the run
    // succeeds, kept (and named) when it fails
    Path work = Files.createTempDirectory("walmesh-bench");
    Integer code;
    try {
      code = run(work);
    } catch (Exception | Error e) {
      try (java.util.stream.Stream<Path> made = Files.list(work)) {
        if (made.findAny().isPresent()) {
          System.err.println("the bench failed; its work directory, with the nodes' and servers' logs, is kept: " + work);
        } else {
          deleteTree(work); // refused before it started anything (a usage error)
        }
      }
      throw e;
    }
    if (keep) {
      System.err.println("the bench's work directory, with the nodes' and servers' logs and data, is kept (--keep): "
          + work);
    } else {
      deleteTree(work);
    }
    return code;
  }

  private static void deleteTree(Path root) {
    try {
      io.walmesh.testkit.Directories.deleteTree(root);
    } catch (java.io.UncheckedIOException e) {
      System.err.println("could not remove the bench's work directory " + root + ": " + e);
    }
  }

  private Integer run(Path work) throws Exception {
    Vertx vertx = Vertx.vertx();
    if (memory) {
      try {
        NodeMemory.Result result = NodeMemory.run(vertx, work, concurrency, rate, payloadBytes, warmupSecs * 1000L,
            durationSecs * 1000L);
        Measurement writes = result.writes();
        System.out.printf("%nnode started as: %s%n", result.javaCommand());
        System.out.printf("unary writes from another process, %s: %,.0f ops/s acknowledged (p99 %.2f ms, %d errors)%n",
            rate > 0 ? String.format("offered %,.0f/s", rate) : concurrency + " in flight", writes.throughput(),
            writes.percentileMs(99), writes.errors());
        System.out.printf("node RSS: peak %,d MB, at the end %,d MB (target: under 512 MB at 10k writes/s)%n",
            result.peakRssKb() / 1024, result.endRssKb() / 1024);
        return 0;
      } finally {
        await(vertx.close());
      }
    }
    if (only != null && !only.equals("delivery") && !only.equals("writes") && !only.equals("targets")) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--only takes delivery, writes or targets, got "
          + only);
    }
    if (pacedRate != null && !(pacedRate >= 1 && pacedRate <= 1_000_000)) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--paced-rate takes 1 to 1,000,000 writes per"
          + " second, got " + pacedRate);
    }
    if (connections < 1 || connections > 64 || connections > 1 && ab == null && abRepo == null) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--connections takes 1 to 64 and goes with --ab or"
          + " --ab-repo, got " + connections);
    }
    if ("targets".equals(only) && !backend.equals("kafka")) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--only targets measures the kafka target: it"
          + " needs --backend kafka (the broker it produces to), got --backend " + backend);
    }
    if (ab != null || abRepo != null) {
      try {
        System.err.printf("walmesh bench, node A against node B: concurrency %d, payload %d B, %d s warm-up + %d s per"
            + " run, %d cores%n", concurrency, payloadBytes, warmupSecs, durationSecs, Runtime.getRuntime().availableProcessors());
        new NodeAb(this, vertx, work).run(ab == null ? "" : ab, abRepo, backend.equals("kafka"), abKafka);
        printTable();
        writeResults();
        return 0;
      } finally {
        await(vertx.close());
      }
    }
    if (processes || curve != null || profile != null || mesh) {
      if (tls) {
        throw new CommandLine.ParameterException(new CommandLine(this), "--processes does not combine with --tls");
      }
      try {
        System.err.printf("walmesh bench, separate processes: concurrency %d, payload %d B, %d s warm-up + %d s per run,"
            + " %d cores%n", concurrency, payloadBytes, warmupSecs, durationSecs, Runtime.getRuntime().availableProcessors());
        if (mesh) {
          new SeparateProcesses(this, vertx, work).mesh();
        } else {
          new SeparateProcesses(this, vertx, work).run(backend.equals("all") || backend.equals("local"),
              backend.equals("all") || backend.equals("kafka"), backend.equals("all") || backend.equals("sqs"), curve, profile);
        }
        printTable();
        writeResults();
        return 0;
      } finally {
        await(vertx.close());
      }
    }
    ElasticMq sqs = !tls && (backend.equals("all") || backend.equals("sqs")) ? ElasticMq.start() : null;
    KafkaBroker kafka = !tls && (backend.equals("all") || backend.equals("kafka")) ? KafkaBroker.start(work) : null;
    Node node = new Node(new NodeOptions().nodeId("bench").dataDir(work.resolve("node")).grpc("127.0.0.1", 0).admin("127.0.0.1", 0));
    await(node.start());
    GrpcWriteClient grpc = new GrpcWriteClient(vertx, "127.0.0.1", node.grpcPort());
    LatencySink sink = new LatencySink(vertx);
    try {
      System.err.printf("walmesh bench: concurrency %d, payload %d B, %d s warm-up + %d s per run, %d cores%n",
          concurrency, payloadBytes, warmupSecs, durationSecs, Runtime.getRuntime().availableProcessors());
      if (tls) {
        benchTls(node, grpc, sink, vertx, work);
      } else if (backend.equals("all") || backend.equals("local")) {
        benchLocal(node, grpc, sink, vertx, work);
      }
      if (sqs != null) {
        benchSqs(node, grpc, sink, vertx, sqs);
      }
      if (kafka != null) {
        benchKafka(node, grpc, sink, vertx, kafka);
      }
      printTable();
      writeResults();
      return 0;
    } finally {
      grpc.close();
      sink.close();
      await(node.stop());
      if (sqs != null) {
        sqs.close();
      }
      if (kafka != null) {
        kafka.close();
      }
      await(vertx.close());
    }
  }

  private void benchLocal(Node node, GrpcWriteClient grpc, LatencySink sink, Vertx vertx, Path work) throws Exception {
    await(node.namespaces().create(namespace("bench-local-w", sink.url(), new JsonObject().put("type", "local"))));
    await(node.namespaces().create(namespace("bench-local-e2e", sink.url(), new JsonObject().put("type", "local"))));
    try (RawRocksLog rocks = new RawRocksLog(Files.createDirectories(work.resolve("raw-rocks")))) {
      writes("local: walmesh WriteToLog (untimed warm-up pass)", grpc, "bench-local-w"); // JIT-warms the write path
      Measurement walmeshWrites = writes("local: walmesh WriteToLog", grpc, "bench-local-w");
      Measurement walmeshBatched = batchedWrites("local: walmesh WriteToLogBatch", grpc, "bench-local-w");
      Measurement walmeshStreamed = streamedWrites("local: walmesh WriteToLogStream", vertx, node.grpcPort(), "bench-local-w");
      Measurement rawWrites = loop("local: raw RocksDB synced append", () -> rocks.append(LatencySink.stamp(payloadBytes)));
      compareWrites("local", walmeshWrites, walmeshBatched, rawWrites, "plain RocksDB synced writes, same group commit");
      row("local", "streamed write throughput (ops/s)", walmeshStreamed.throughput(), rawWrites.throughput(),
          "plain RocksDB synced writes, same group commit");
      row("local", "streamed write latency p99 (ms)", walmeshStreamed.percentileMs(99), rawWrites.percentileMs(99),
          "plain RocksDB synced writes, same group commit");

      Supplier<Future<?>> walmeshWrite = () -> grpc.write(stamped("bench-local-e2e"), 10_000);
      Supplier<Future<?>> rawWrite = () -> rocks.append(LatencySink.stamp(payloadBytes));
      Measurement walmeshE2e = endToEnd("local: walmesh end-to-end", sink, walmeshWrite);
      HandConsumer consumer = HandConsumer.forRocks(vertx, rocks, sink.port(), concurrency);
      Measurement rawE2e = endToEnd("local: raw append + hand consumer", sink, rawWrite);
      double rate = pacedRate(walmeshE2e, rawE2e);
      Measurement walmeshPaced = paced("local: walmesh end-to-end", vertx, sink, rate, walmeshWrite);
      Measurement rawPaced = paced("local: raw append + hand consumer", vertx, sink, rate, rawWrite);
      consumer.close();
      compareEndToEnd("local", walmeshE2e, rawE2e, walmeshPaced, rawPaced, rate, "RocksDB tail -> HTTP POST -> delete");
    }
  }

  /**
   * The cost of running exposed: the same writes to a plaintext node and to a node with TLS and
   * auth (a token per call), in one run, with the raw append as the common baseline.
   */
  private void benchTls(Node node, GrpcWriteClient plain, LatencySink sink, Vertx vertx, Path work) throws Exception {
    io.walmesh.node.tls.CertificateAuthority.Files certs = io.walmesh.node.tls.CertificateAuthority.createAll(
        work.resolve("certs"), List.of(), "bench");
    Path tokens = work.resolve("tokens.json");
    Files.writeString(tokens, new JsonObject().put("tokens", new JsonArray().add(new JsonObject().put("principal", "bench")
        .put("sha256", io.walmesh.node.auth.AuthOptions.hash("bench-token")))).encode());
    Node secured = new Node(new NodeOptions().nodeId("bench-tls").dataDir(work.resolve("node-tls")).grpc("127.0.0.1", 0)
        .admin("127.0.0.1", 0)
        .tls(new io.walmesh.node.tls.TlsOptions(certs.nodeCert(), certs.nodeKey(), null, io.vertx.core.http.ClientAuth.NONE, 0))
        .auth(io.walmesh.node.auth.AuthOptions.read(new io.walmesh.spi.config.ConfigReader(new JsonObject()
            .put("tokens-file", tokens.toString()).put("principals", new JsonObject().put("bench", new JsonObject()
                .put("write", new JsonArray().add("*")))), "auth"), Path.of(""))));
    await(secured.start());
    GrpcWriteClient overTls = new GrpcWriteClient(vertx, "127.0.0.1", secured.grpcPort(),
        new io.walmesh.node.tls.ClientTls(certs.caCert(), null, null)).bearerToken("bench-token");
    try (RawRocksLog rocks = new RawRocksLog(Files.createDirectories(work.resolve("raw-rocks")))) {
      await(node.namespaces().create(namespace("bench-plain-w", sink.url(), new JsonObject().put("type", "local"))));
      await(secured.namespaces().create(namespace("bench-tls-w", sink.url(), new JsonObject().put("type", "local"))));
      // one untimed pass each first: the JIT warms the shared code before either side is measured
      writes("tls: warm-up plaintext", plain, "bench-plain-w");
      writes("tls: warm-up TLS", overTls, "bench-tls-w");
      Measurement plainWrites = writes("local: WriteToLog plaintext", plain, "bench-plain-w");
      Measurement tlsWrites = writes("local: WriteToLog TLS + token", overTls, "bench-tls-w");
      Measurement plainBatched = batchedWrites("local: WriteToLogBatch plaintext", plain, "bench-plain-w");
      Measurement tlsBatched = batchedWrites("local: WriteToLogBatch TLS + token", overTls, "bench-tls-w");
      Measurement rawWrites = loop("local: raw RocksDB synced append", () -> rocks.append(LatencySink.stamp(payloadBytes)));
      compareWrites("local plaintext", plainWrites, plainBatched, rawWrites, "plain RocksDB synced writes, same group commit");
      compareWrites("local TLS+token", tlsWrites, tlsBatched, rawWrites, "plain RocksDB synced writes, same group commit");
      String vsPlain = "the same node setup in plaintext, no auth";
      row("local TLS+token", "write throughput (ops/s)", tlsWrites.throughput(), plainWrites.throughput(), vsPlain);
      row("local TLS+token", "batched write throughput (entries/s)", tlsBatched.throughput(), plainBatched.throughput(), vsPlain);
      row("local TLS+token", "write latency p99 (ms)", tlsWrites.percentileMs(99), plainWrites.percentileMs(99), vsPlain);
    } finally {
      overTls.close();
      await(secured.stop());
    }
  }

  private void benchSqs(Node node, GrpcWriteClient grpc, LatencySink sink, Vertx vertx, ElasticMq sqs) throws Exception {
    JsonObject common = new JsonObject().put("endpoint", sqs.endpoint()).put("access-key-id", "x")
        .put("secret-access-key", "x").put("wait-time-secs", 1);
    await(node.namespaces().create(namespace("bench-sqs-w", sink.url(), new JsonObject().put("type", "sqs")
        .put("config", common.copy().put("wal-queue", "bench-w")))));
    await(node.namespaces().create(namespace("bench-sqs-e2e", sink.url(), new JsonObject().put("type", "sqs")
        .put("config", common.copy().put("wal-queue", "bench-e2e")))));
    try (SqsBaseline baseline = new SqsBaseline(vertx, sqs.endpoint(), sink.port(), concurrency)) {
      Measurement walmeshWrites = writes("sqs: walmesh WriteToLog", grpc, "bench-sqs-w");
      Measurement walmeshBatched = batchedWrites("sqs: walmesh WriteToLogBatch", grpc, "bench-sqs-w");
      // the walmesh writes are an hour away (idle consumer), which SQS gets as DelaySeconds=900: same for the baseline
      Measurement rawWrites = loop("sqs: raw SqsAsyncClient send", () -> baseline.send("raw-w", LatencySink.stamp(payloadBytes), 900));
      compareWrites("sqs", walmeshWrites, walmeshBatched, rawWrites, "plain SqsAsyncClient SendMessage, same ElasticMQ");

      Supplier<Future<?>> walmeshWrite = () -> grpc.write(stamped("bench-sqs-e2e"), 10_000);
      Supplier<Future<?>> rawWrite = () -> baseline.send("raw-e2e", LatencySink.stamp(payloadBytes), 0);
      Measurement walmeshE2e = endToEnd("sqs: walmesh end-to-end", sink, walmeshWrite);
      baseline.startConsumer("raw-e2e");
      Measurement rawE2e = endToEnd("sqs: raw send + hand consumer", sink, rawWrite);
      double rate = pacedRate(walmeshE2e, rawE2e);
      Measurement walmeshPaced = paced("sqs: walmesh end-to-end", vertx, sink, rate, walmeshWrite);
      Measurement rawPaced = paced("sqs: raw send + hand consumer", vertx, sink, rate, rawWrite);
      compareEndToEnd("sqs", walmeshE2e, rawE2e, walmeshPaced, rawPaced, rate, "ReceiveMessage -> HTTP POST -> DeleteMessage");
    }
  }

  private void benchKafka(Node node, GrpcWriteClient grpc, LatencySink sink, Vertx vertx, KafkaBroker kafka) throws Exception {
    // the write-only namespace keeps its hour-long delays in a tiny window, so its consumer goes idle
    await(node.namespaces().create(namespace("bench-kafka-w", sink.url(), kafkaWriteBackend(kafka.bootstrapServers(),
        "bench-kafka-w"))));
    await(node.namespaces().create(namespace("bench-kafka-e2e", sink.url(), kafkaBackend(kafka, "bench-kafka-e2e", new JsonObject()))));
    try (KafkaBaseline baseline = new KafkaBaseline(vertx, kafka.bootstrapServers(), sink.port(), concurrency)) {
      baseline.createTopic("raw-w");
      baseline.createTopic("raw-e2e");
      Measurement walmeshWrites = writes("kafka: walmesh WriteToLog", grpc, "bench-kafka-w");
      Measurement walmeshBatched = batchedWrites("kafka: walmesh WriteToLogBatch", grpc, "bench-kafka-w");
      Measurement rawWrites = loop("kafka: raw KafkaProducer send", () -> baseline.send("raw-w", LatencySink.stamp(payloadBytes)));
      compareWrites("kafka", walmeshWrites, walmeshBatched, rawWrites, "plain KafkaProducer acks=all idempotent, same broker");

      Supplier<Future<?>> walmeshWrite = () -> grpc.write(stamped("bench-kafka-e2e"), 10_000);
      Measurement walmeshE2e = endToEnd("kafka: walmesh end-to-end", sink, walmeshWrite);
      baseline.startConsumer("raw-e2e");
      Supplier<Future<?>> rawWrite = () -> baseline.send("raw-e2e", LatencySink.stamp(payloadBytes));
      Measurement rawE2e = endToEnd("kafka: raw send + hand consumer", sink, rawWrite);
      double rate = pacedRate(walmeshE2e, rawE2e);
      Measurement walmeshPaced = paced("kafka: walmesh end-to-end", vertx, sink, rate, walmeshWrite);
      Measurement rawPaced = paced("kafka: raw send + hand consumer", vertx, sink, rate, rawWrite);
      compareEndToEnd("kafka", walmeshE2e, rawE2e, walmeshPaced, rawPaced, rate, "poll -> HTTP POST -> commit");
    }
  }

  private static JsonObject kafkaBackend(KafkaBroker kafka, String topic, JsonObject extra) {
    return kafkaBackend(kafka.bootstrapServers(), topic, extra);
  }

  /**
   * A kafka backend for the write runs: their entries are due in an hour, which stays under the one delay tier (two
   * hours) and so in a consumer window of 10; the consumer then goes idle and no delivery competes with the writes.
   */
  static JsonObject kafkaWriteBackend(String bootstrapServers, String topic) {
    return kafkaBackend(bootstrapServers, topic, new JsonObject().put("delay-tiers-secs", new JsonArray().add(7_200))
        .put("window.max-entries", 10));
  }

  static JsonObject kafkaBackend(String bootstrapServers, String topic, JsonObject extra) {
    return new JsonObject().put("type", "kafka").put("config", new JsonObject()
        .put("bootstrap-servers", bootstrapServers).put("wal-kafka-topic", topic).put("partitions", 8).mergeIn(extra));
  }

  JsonObject namespace(String name, String url, JsonObject backendJson) {
    JsonObject sink = new JsonObject().put("url", url);
    if (keepConnections) {
      sink.put("keep-alive-secs", KEPT_CONNECTION_SECS);
    }
    return new JsonObject().put("name", name).put("backend", backendJson)
        .put("targets", new JsonArray().add(new JsonObject().put("name", "sink").put("type", "http").put("config", sink)))
        .put("max-in-flight-writes", 100_000)
        .put("consumer", new JsonObject().put("max-in-flight", concurrency * 2).put("poll-interval-ms", 10));
  }

  /** A plaintext gRPC client of a server on this machine; it keeps idle connections with {@code --keep-connections}. */
  GrpcWriteClient grpcClient(Vertx vertx, int port) {
    return keepConnections ? new GrpcWriteClient(vertx, "127.0.0.1", port, KEPT_CONNECTION_SECS)
        : new GrpcWriteClient(vertx, "127.0.0.1", port);
  }

  /** Writes whose delivery is an hour away: the consumer stays idle and only the write path is measured. */
  Measurement writes(String name, GrpcWriteClient grpc, String namespace) throws InterruptedException {
    return writes(name, grpc, namespace, concurrency);
  }

  /** {@link #writes(String, GrpcWriteClient, String)} with {@code inFlight} calls in flight. */
  Measurement writes(String name, GrpcWriteClient grpc, String namespace, int inFlight) throws InterruptedException {
    return writes(name, List.of(grpc), namespace, inFlight);
  }

  /** {@link #writes(String, GrpcWriteClient, String)} going round-robin over {@code clients}. */
  Measurement writes(String name, List<GrpcWriteClient> clients, String namespace, int inFlight)
      throws InterruptedException {
    WriteToLogRequest request = WriteToLogRequest.newBuilder().setNamespace(namespace)
        .setPayload(ByteString.copyFrom(LatencySink.stamp(payloadBytes)))
        .setLifecycle(Lifecycle.newBuilder().setDelayMs(3_600_000)).build();
    java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
    return loop(name, inFlight, () -> clients.get(Math.floorMod(next.getAndIncrement(), clients.size())).write(request, 10_000)
        .compose(r -> r.ok() && r.response().getDurable() == Trilean.SUCCESS
            ? Future.succeededFuture() : Future.failedFuture(r.status() + " " + r.statusMessage())));
  }

  /**
   * Delayed writes with the same concurrency as {@link #writes}, each a request of one
   * {@code WriteToLogStream} (the Java client's streaming mode) instead of a call of its own.
   */
  Measurement streamedWrites(String name, Vertx vertx, int grpcPort, String namespace) throws Exception {
    WriteToLogRequest request = WriteToLogRequest.newBuilder().setNamespace(namespace)
        .setPayload(ByteString.copyFrom(LatencySink.stamp(payloadBytes)))
        .setLifecycle(Lifecycle.newBuilder().setDelayMs(3_600_000)).build();
    io.walmesh.client.WalmeshClient client = io.walmesh.client.WalmeshClient.grpc(vertx, "127.0.0.1", grpcPort)
        .streaming(true).autoIdempotencyKeys(false).build();
    try {
      return loop(name, () -> client.write(request, java.time.Duration.ofSeconds(10)));
    } finally {
      await(client.close());
    }
  }

  /** Batches of {@code --batch} delayed writes; throughput counts entries, latency is per call. */
  Measurement batchedWrites(String name, GrpcWriteClient grpc, String namespace) throws InterruptedException {
    return batchedWrites(name, List.of(grpc), namespace);
  }

  /** {@link #batchedWrites(String, GrpcWriteClient, String)} going round-robin over {@code clients}. */
  Measurement batchedWrites(String name, List<GrpcWriteClient> clients, String namespace) throws InterruptedException {
    WriteToLogBatchRequest.Builder builder = WriteToLogBatchRequest.newBuilder();
    for (int i = 0; i < batch; i++) {
      builder.addRequests(WriteToLogRequest.newBuilder().setNamespace(namespace)
          .setPayload(ByteString.copyFrom(LatencySink.stamp(payloadBytes)))
          .setLifecycle(Lifecycle.newBuilder().setDelayMs(3_600_000)));
    }
    WriteToLogBatchRequest request = builder.build();
    int calls = Math.max(1, concurrency / 8);
    java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
    Measurement m = ClosedLoop.run(name + " (" + batch + "/call, " + calls + " calls)", calls, warmupSecs * 1000L,
        durationSecs * 1000L, () -> clients.get(Math.floorMod(next.getAndIncrement(), clients.size())).writeBatch(request, 30_000).compose(r -> r.status() == io.vertx.grpc.common.GrpcStatus.OK
            && r.response().getResultsList().stream().allMatch(x -> x.getStatusCode() == 0)
            ? Future.succeededFuture() : Future.failedFuture(r.status() + " " + r.statusMessage())), cpu);
    Measurement entries = m.withOps(m.ops() * batch);
    raw.add(entries.toJson().put("calls", m.ops()).put("entries-per-call", batch));
    return entries;
  }

  WriteToLogRequest stamped(String namespace) {
    return WriteToLogRequest.newBuilder().setNamespace(namespace).setPayload(ByteString.copyFrom(LatencySink.stamp(payloadBytes))).build();
  }

  Measurement loop(String name, Supplier<Future<?>> op) throws InterruptedException {
    return loop(name, concurrency, op);
  }

  Measurement loop(String name, int inFlight, Supplier<Future<?>> op) throws InterruptedException {
    Measurement m = ClosedLoop.run(name, inFlight, warmupSecs * 1000L, durationSecs * 1000L, op, cpu);
    raw.add(m.toJson());
    return m;
  }

  /** Writes for the measured window, then waits for deliveries to drain; latency is write to applied. */
  Measurement endToEnd(String name, LatencySink sink, java.util.function.Supplier<Future<?>> write)
      throws InterruptedException {
    ClosedLoop.run(name + " (warm-up)", concurrency, 0, warmupSecs * 1000L, write);
    drain(sink);
    sink.reset();
    long start = System.nanoTime();
    Measurement writes = ClosedLoop.run(name, concurrency, 0, durationSecs * 1000L, write);
    drain(sink);
    double seconds = (System.nanoTime() - start) / 1e9;
    Measurement delivered = new Measurement(name, sink.delivered(), writes.errors(), seconds, sink.latencies());
    raw.add(delivered.toJson().put("writes", writes.ops()));
    return delivered;
  }

  /**
   * Writes at a fixed rate (an open loop, so latency is not hidden by a writer waiting on its own
   * backlog), then drains; latency is write to applied.
   */
  Measurement paced(String name, Vertx vertx, LatencySink sink, double perSecond, Supplier<Future<?>> write)
      throws InterruptedException {
    drain(sink);
    sink.reset();
    java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
    long start = System.nanoTime();
    java.time.Instant startedAt = java.time.Instant.now(); // to line slow spans up with GC logs and recordings
    // acknowledgements over 20 ms, and when they were sent: a slow delivery with a slow acknowledgement was slow on the
    // write path, one without on the delivery path
    java.util.concurrent.atomic.AtomicLong slowAcks = new java.util.concurrent.atomic.AtomicLong();
    java.util.concurrent.atomic.LongAccumulator longestAckMicros = new java.util.concurrent.atomic.LongAccumulator(Math::max, 0);
    java.util.concurrent.atomic.LongAccumulator firstSlowSentMs = new java.util.concurrent.atomic.LongAccumulator(Math::min,
        Long.MAX_VALUE);
    java.util.concurrent.atomic.LongAccumulator lastSlowSentMs = new java.util.concurrent.atomic.LongAccumulator(Math::max, -1);
    long timer = vertx.setPeriodic(10, id -> {
      long due = (long) ((System.nanoTime() - start) / 1e9 * perSecond);
      while (sent.get() < due) {
        sent.incrementAndGet();
        long sentAt = System.nanoTime();
        write.get().onComplete(done -> {
          long micros = (System.nanoTime() - sentAt) / 1_000;
          if (micros >= 20_000) {
            longestAckMicros.accumulate(micros);
            firstSlowSentMs.accumulate((sentAt - start) / 1_000_000);
            lastSlowSentMs.accumulate((sentAt - start) / 1_000_000);
            slowAcks.incrementAndGet(); // last: a count read meanwhile never comes without its instants
          }
        });
      }
    });
    TimeUnit.SECONDS.sleep(durationSecs);
    vertx.cancelTimer(timer);
    drain(sink);
    Measurement m = new Measurement(name + " @" + (long) perSecond + "/s", sink.delivered(), 0, durationSecs, sink.latencies());
    String slow = sink.slowSpans(start);
    String acks = slowAcks.get() == 0 ? "none over 20 ms" : String.format("%,d over 20 ms, sent at +%.2f..+%.2f s, the"
        + " longest %d ms", slowAcks.get(), firstSlowSentMs.get() / 1e3, lastSlowSentMs.get() / 1e3,
        longestAckMicros.get() / 1_000);
    // a run after an idle spell whose connections expired opens them again: the target's show here
    System.err.printf("  %-36s paced at %,.0f/s from %s: p50 %.2f ms, p99 %.2f ms; slow deliveries: %s; slow"
        + " acknowledgements: %s; %,d new connections to the HTTP service%n", name, perSecond, startedAt,
        m.percentileMs(50), m.percentileMs(99), slow, acks, sink.connections());
    raw.add(m.toJson().put("rate-per-sec", perSecond).put("writes", sent.get()).put("started-at", startedAt.toString())
        .put("slow-deliveries", slow).put("slow-acknowledgements", acks).put("sink-connections", sink.connections()));
    return m;
  }

  /** The paced runs' rate: {@code --paced-rate}, or half of what the slower of two sides delivered while written to. */
  double pacedRate(Measurement delivered, Measurement otherDelivered) {
    return pacedRate != null ? pacedRate : Math.floor(0.5 * Math.min(delivered.throughput(), otherDelivered.throughput()));
  }

  private static void drain(LatencySink sink) throws InterruptedException {
    long last = -1;
    while (sink.delivered() != last) {
      last = sink.delivered();
      TimeUnit.MILLISECONDS.sleep(1_000);
    }
  }

  void compareWrites(String backendName, Measurement walmesh, Measurement batched, Measurement baseline, String what) {
    row(backendName, "write throughput (ops/s)", walmesh.throughput(), baseline.throughput(), what);
    row(backendName, "batched write throughput (entries/s)", batched.throughput(), baseline.throughput(), what);
    row(backendName, "write latency p50 (ms)", walmesh.percentileMs(50), baseline.percentileMs(50), what);
    row(backendName, "write latency p99 (ms)", walmesh.percentileMs(99), baseline.percentileMs(99), what);
    row(backendName, "write latency p99.9 (ms)", walmesh.percentileMs(99.9), baseline.percentileMs(99.9), what);
  }

  private void compareEndToEnd(String backendName, Measurement walmesh, Measurement baseline, Measurement walmeshPaced,
                               Measurement baselinePaced, double rate, String what) {
    row(backendName, "delivery throughput (entries/s)", walmesh.throughput(), baseline.throughput(), what);
    String at = " @" + (long) rate + "/s";
    row(backendName, "write-to-applied p50 (ms)" + at, walmeshPaced.percentileMs(50), baselinePaced.percentileMs(50), what);
    row(backendName, "write-to-applied p99 (ms)" + at, walmeshPaced.percentileMs(99), baselinePaced.percentileMs(99), what);
    row(backendName, "write-to-applied p99.9 (ms)" + at, walmeshPaced.percentileMs(99.9), baselinePaced.percentileMs(99.9), what);
  }

  void row(String backendName, String figure, double walmesh, double baseline, String what) {
    rows.add(new JsonObject().put("backend", backendName).put("figure", figure).put("walmesh", walmesh)
        .put("baseline", baseline).put("ratio", walmesh / baseline).put("baseline-is", what));
  }

  private void printTable() {
    System.out.printf("%n%-7s %-50s %14s %14s %8s   %s%n", "backend", "figure", "walmesh", "baseline", "ratio", "baseline is");
    for (JsonObject r : rows) {
      double ratio = r.getDouble("ratio");
      System.out.printf("%-7s %-50s %14.2f %14.2f %8s   %s%n", r.getString("backend"), r.getString("figure"),
          r.getDouble("walmesh"), r.getDouble("baseline"), Double.isFinite(ratio) ? String.format("%.2f", ratio) : "-",
          r.getString("baseline-is"));
    }
  }

  private void writeResults() throws java.io.IOException {
    JsonObject json = new JsonObject()
        .put("command", "bench/run " + String.join(" ", ProcessHandle.current().info().arguments().map(List::of).orElse(List.of())))
        .put("concurrency", concurrency).put("payload-bytes", payloadBytes).put("tls", tls).put("processes", processes || curve != null)
        .put("duration-secs", durationSecs).put("cores", Runtime.getRuntime().availableProcessors())
        .put("rows", new JsonArray(new ArrayList<>(rows))).put("measurements", new JsonArray(new ArrayList<>(raw)));
    Files.writeString(out, json.encodePrettily());
    System.err.println("results written to " + out.toAbsolutePath());
  }

  static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
  }
}
