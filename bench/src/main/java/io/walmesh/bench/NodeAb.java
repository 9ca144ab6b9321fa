package io.walmesh.bench;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.walmesh.node.gateway.GrpcWriteClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code bench/run --ab}: two nodes side by side, each in its own process and started by {@code ./walmesh} as users
 * start one, measured alternately on a local namespace (unary, batched and streamed writes, {@value #ROUNDS} runs per
 * side and style, A B B A A B ...), or with {@code --backend kafka} on a kafka namespace each, two topics of one broker
 * in a process of its own. Node B is the same checkout with extra JVM options ({@code --ab=OPTS}), or another
 * checkout ({@code --ab-repo=DIR}), or both. On a machine whose speed moves by a third from minute to minute, two
 * builds or two settings measured in the same minutes are the one way to see a change of a few percent: each row is
 * B's median against A's, and the paired ratios (each B run against the A run next to it) are printed too.
 */
final class NodeAb {
  static final int ROUNDS = 4;
  private static final String NAMESPACE = "bench-ab-w";
  private final Bench bench;
  private final Vertx vertx;
  private final Path work;

  NodeAb(Bench bench, Vertx vertx, Path work) {
    this.bench = bench;
    this.vertx = vertx;
    this.work = work;
  }

  /**
   * {@code kafka}: a kafka namespace on each node (a topic each, one broker), B's with the Kafka client properties
   * {@code kafkaB}; otherwise a local one.
   */
  void run(String optionsB, Path repoB, boolean kafka, Map<String, String> kafkaB) throws Exception {
    if (!kafka && !kafkaB.isEmpty()) {
      throw new IllegalArgumentException("--ab-kafka sets node B's Kafka client properties: it needs --backend kafka");
    }
    Path repoA = Path.of(System.getProperty("walmesh.repo", "."));
    String describeB = (repoB == null ? "this checkout" : repoB.toString())
        + (optionsB.isEmpty() ? "" : " with " + optionsB) + (kafkaB.isEmpty() ? "" : ", Kafka properties " + kafkaB);
    try (JavaChild broker = kafka ? JavaChild.start(work.resolve("kafka.log"), List.of("-Xmx1g"), BrokerMain.class,
             work.resolve("kafka").toString()) : null;
         NodeProcess a = NodeProcess.start(work, "ab-a", SeparateProcesses.NODE_HEAP, null, repoA);
         NodeProcess b = NodeProcess.start(work, "ab-b", (SeparateProcesses.NODE_HEAP + " " + optionsB).trim(), null,
             repoB == null ? repoA : repoB)) {
      System.err.printf("node A (pid %d): %s%nnode B (pid %d): %s%n", a.pid(), a.commandLine(), b.pid(), b.commandLine());
      bench.cpu.watchThreads("A", ProcessHandle.of(a.pid()).orElseThrow()).watchThreads("B", ProcessHandle.of(b.pid()).orElseThrow());
      if (broker != null) {
        bench.cpu.watch("kafka broker", ProcessHandle.of(broker.pid()).orElseThrow());
      }
      a.createNamespace(namespace(broker, "bench-ab-a", Map.of()));
      b.createNamespace(namespace(broker, "bench-ab-b", kafkaB));
      List<GrpcWriteClient> toA = clients(a.grpcPort());
      List<GrpcWriteClient> toB = clients(b.grpcPort());
      String what = "node A: " + repoA.toAbsolutePath().normalize() + " (B: " + describeB + ")"
          + (kafka ? ", kafka namespaces" : "") + (toA.size() > 1 ? ", " + toA.size() + " connections each" : "");
      try {
        bench.writes("A: WriteToLog (untimed warm-up)", toA, NAMESPACE, bench.concurrency);
        bench.writes("B: WriteToLog (untimed warm-up)", toB, NAMESPACE, bench.concurrency);
        compare("unary", "write", what, () -> bench.writes("A: WriteToLog", toA, NAMESPACE, bench.concurrency),
            () -> bench.writes("B: WriteToLog", toB, NAMESPACE, bench.concurrency));
        compare("batched", "entry", what, () -> bench.batchedWrites("A: WriteToLogBatch", toA, NAMESPACE),
            () -> bench.batchedWrites("B: WriteToLogBatch", toB, NAMESPACE));
        compare("streamed", "write", what, () -> bench.streamedWrites("A: WriteToLogStream", vertx, a.grpcPort(), NAMESPACE),
            () -> bench.streamedWrites("B: WriteToLogStream", vertx, b.grpcPort(), NAMESPACE));
      } finally {
        toA.forEach(GrpcWriteClient::close);
        toB.forEach(GrpcWriteClient::close);
      }
    }
  }

  /** {@code --connections} clients of the node at {@code port}, each its own HTTP/2 connection. */
  private List<GrpcWriteClient> clients(int port) {
    List<GrpcWriteClient> clients = new ArrayList<>();
    for (int i = 0; i < bench.connections; i++) {
      clients.add(new GrpcWriteClient(vertx, "127.0.0.1", port));
    }
    return clients;
  }

  /**
   * The namespace both nodes write to: local, or (with a broker) the write runs' kafka namespace on a topic of the
   * node's own, with {@code kafkaProperties} as its Kafka client properties.
   */
  private JsonObject namespace(JavaChild broker, String topic, Map<String, String> kafkaProperties) {
    JsonObject backend = new JsonObject().put("type", "local");
    if (broker != null) {
      backend = Bench.kafkaWriteBackend(broker.address(), topic);
      backend.getJsonObject("config").put("kafka", new JsonObject(new java.util.HashMap<>(kafkaProperties)));
    }
    return bench.namespace(NAMESPACE, "http://127.0.0.1:9/unused", backend);
  }

  /** {@value #ROUNDS} runs of each side, alternating; rows of B's median CPU per operation and throughput against A's. */
  private void compare(String style, String per, String what, java.util.concurrent.Callable<Measurement> a,
                       java.util.concurrent.Callable<Measurement> b) throws Exception {
    List<Measurement> as = new ArrayList<>();
    List<Measurement> bs = new ArrayList<>();
    List<String> paired = new ArrayList<>();
    for (int round = 0; round < ROUNDS; round++) {
      // A B, B A, A B, ...: neither side is always the one measured right after the other's run
      Measurement ma;
      Measurement mb;
      if (round % 2 == 0) {
        ma = a.call();
        mb = b.call();
      } else {
        mb = b.call();
        ma = a.call();
      }
      as.add(ma);
      bs.add(mb);
      paired.add(String.format("%.2f", mb.cpuMicrosPerOp("B") / ma.cpuMicrosPerOp("A")));
    }
    System.err.printf("  %s: node CPU per %s, B/A by pair of runs: %s%n", style, per, paired);
    bench.row("ab", style + ": node CPU per " + per + " (us)", median(bs, m -> m.cpuMicrosPerOp("B")),
        median(as, m -> m.cpuMicrosPerOp("A")), what);
    bench.row("ab", style + " throughput (ops/s)", median(bs, Measurement::throughput), median(as, Measurement::throughput),
        what);
  }

  private static double median(List<Measurement> runs, java.util.function.ToDoubleFunction<Measurement> figure) {
    double[] sorted = runs.stream().mapToDouble(figure).sorted().toArray();
    int middle = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  }
}
