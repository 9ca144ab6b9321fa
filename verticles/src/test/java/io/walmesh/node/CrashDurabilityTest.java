package io.walmesh.node;

import static io.walmesh.node.TestNodes.await;
import static io.walmesh.node.TestNodes.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.walmesh.node.cli.WalmeshCommand;
import io.walmesh.node.gateway.GrpcWriteClient;
import io.walmesh.protocol.v1.Trilean;
import io.walmesh.testkit.ChildProcess;
import io.walmesh.testkit.FreePorts;
import io.walmesh.testkit.HttpSink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import io.walmesh.testkit.ElasticMq;
import io.walmesh.testkit.KafkaBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node in its own process is killed with SIGKILL while writers are running, then restarted on the
 * same data directory: every entry it answered SUCCESS must be delivered.
 */
class CrashDurabilityTest {
  private static final int WRITERS = 4;
  private static final int IN_FLIGHT_PER_WRITER = 8;

  @TempDir
  Path dir;
  static ElasticMq sqs;
  static KafkaBroker kafka;
  @TempDir
  static Path kafkaDir;

  @BeforeAll
  static void startServers() {
    sqs = ElasticMq.start();
    kafka = KafkaBroker.start(kafkaDir);
  }

  @AfterAll
  static void stopServers() {
    sqs.close();
    kafka.close();
  }

  @ParameterizedTest(name = "backend {0}")
  @ValueSource(strings = {"local", "sqs", "kafka"})
  void everyAcknowledgedEntrySurvivesKillMinus9AndIsDelivered(String backend) throws Exception {
    int grpcPort = FreePorts.next();
    int adminPort = FreePorts.next();
    Path config = dir.resolve("node.json");
    Files.writeString(config, TestNodes.childConfig("crash", dir.resolve("data"), grpcPort, adminPort).encode());
    Vertx vertx = Vertx.vertx();
    HttpSink sink = new HttpSink(vertx).start();
    AdminHttp admin = new AdminHttp(adminPort);
    ChildProcess node = startNode(config, admin);
    GrpcWriteClient grpc = new GrpcWriteClient(vertx, "127.0.0.1", grpcPort);
    try {
      JsonObject namespace = TestNodes.namespace("crash", sink.url("/apply"));
      namespace.getJsonObject("retry").put("max-attempts", 1000).put("max-backoff-ms", 500);
      if (backend.equals("sqs")) {
        // entries received but not settled when the node dies come back after the visibility timeout
        namespace.put("backend", new JsonObject().put("type", "sqs").put("config", new JsonObject()
            .put("wal-queue", "crash-" + System.nanoTime()).put("endpoint", sqs.endpoint()).put("access-key-id", "x")
            .put("secret-access-key", "x").put("wait-time-secs", 0).put("visibility-timeout-secs", 2)));
      }
      if (backend.equals("kafka")) {
        // entries fetched but not settled when the node dies are past the last committed offset
        namespace.put("backend", new JsonObject().put("type", "kafka").put("config", new JsonObject()
            .put("bootstrap-servers", kafka.bootstrapServers()).put("wal-kafka-topic", "crash-" + System.nanoTime())
            .put("partitions", 4).put("session-timeout-ms", 6_000)));
      }
      TestNodes.create(admin, namespace);

      Set<String> acked = ConcurrentHashMap.newKeySet();
      AtomicInteger notAcked = new AtomicInteger();
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicInteger sequence = new AtomicInteger();
      List<Future<Void>> writers = new ArrayList<>();
      for (int w = 0; w < WRITERS * IN_FLIGHT_PER_WRITER; w++) {
        Promise<Void> done = Promise.promise();
        writeLoop(grpc, running, sequence, acked, notAcked, done);
        writers.add(done.future());
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> acked.size() >= 500);
      node.kill();
      int ackedAtKill = acked.size();
      await().atMost(Duration.ofSeconds(30)).until(() -> notAcked.get() > 0);
      running.set(false);
      await(Future.join(writers).otherwiseEmpty());
      assertThat(acked.size()).as("answers arriving after the kill are not SUCCESS").isLessThanOrEqualTo(ackedAtKill + WRITERS * IN_FLIGHT_PER_WRITER);

      node = startNode(config, admin);
      await().atMost(Duration.ofSeconds(60)).until(() -> sink.deliveredBodies().containsAll(acked));
      Set<String> missing = new HashSet<>(acked);
      missing.removeAll(sink.deliveredBodies());
      assertThat(missing).as("acknowledged entries not delivered after kill -9 and restart").isEmpty();
      assertThat(acked.size()).isGreaterThanOrEqualTo(500);
    } finally {
      grpc.close();
      node.close();
      sink.close();
      await(vertx.close());
    }
  }

  /** Writes one entry after another until stopped; each payload is unique. */
  private static void writeLoop(GrpcWriteClient grpc, AtomicBoolean running, AtomicInteger sequence, Set<String> acked,
                                AtomicInteger notAcked, Promise<Void> done) {
    if (!running.get()) {
      done.complete();
      return;
    }
    String payload = "entry-" + sequence.incrementAndGet();
    grpc.write(request("crash", payload).setKey("k" + (payload.hashCode() % 16)).build(), 5_000).onComplete(ar -> {
      if (ar.succeeded() && ar.result().ok() && ar.result().response().getDurable() == Trilean.SUCCESS) {
        acked.add(payload);
      } else {
        notAcked.incrementAndGet();
      }
      writeLoop(grpc, running, sequence, acked, notAcked, done);
    });
  }

  private static ChildProcess startNode(Path config, AdminHttp admin) {
    ChildProcess node = ChildProcess.startJava(WalmeshCommand.class.getName(),
        List.of("start", "--config", config.toString()), config.resolveSibling("node.log"));
    try {
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
          .until(() -> admin.get("/v1/health").status() == 200);
    } catch (RuntimeException e) {
      throw new AssertionError("the node did not start: " + node.output(), e);
    }
    return node;
  }
}
