package io.walmesh.client;

import static io.walmesh.client.TestNode.await;
import static io.walmesh.client.TestNode.failure;
import static io.walmesh.client.TestNode.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Future;
import io.vertx.grpc.common.GrpcStatus;
import io.walmesh.node.Node;
import io.walmesh.testkit.FreePorts;
import io.walmesh.testkit.HttpSink;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The client while no gateway answers: it retries within its deadline, and ends by it. */
class NodeOutageTest extends NodeFixture {
  /** A retry policy that keeps trying, so the deadline is what ends a call. */
  private static RetryPolicy patient() {
    return new RetryPolicy().maxAttempts(1_000).initialBackoff(Duration.ofMillis(50)).maxBackoff(Duration.ofMillis(200));
  }

  @Test
  void aWriteWaitsOutANodeThatStartsLateAndIsStoredOnce() {
    // the node's namespace is on disk before the gateway listens, as after a restart
    Node first = TestNode.start(dataDir, "late", 0);
    await(first.namespaces().create(TestNode.namespace("orders", sink.url("/orders"))));
    await(first.stop());
    int port = FreePorts.next();
    client = WalmeshClient.grpc(clientVertx, "127.0.0.1", port).retryPolicy(patient()).build();
    String payload = "written during an outage " + UUID.randomUUID();

    long start = System.nanoTime();
    Future<WriteResult> write = client.write(request("orders", payload), Duration.ofSeconds(20));
    sleep(1_000); // the outage
    assertThat(write.isComplete()).as("still retrying while nothing listens").isFalse();
    node = TestNode.start(dataDir, "late", port);
    WriteResult result = await(write);
    long tookMs = (System.nanoTime() - start) / 1_000_000;

    assertThat(result.durable()).isEqualTo(Durability.SUCCESS);
    assertThat(result.attempts()).as("connection refused, then retried").isGreaterThan(1);
    assertThat(tookMs).isLessThan(20_000);
    assertThat(UUID.fromString(result.idempotencyKey())).isNotNull();
    await().atMost(Duration.ofSeconds(10)).until(() -> sink.deliveredBodies().contains(payload));
    await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(3))
        .until(() -> sink.delivered().stream().filter(r -> r.body().equals(payload)).count() == 1);
    assertThat(sink.deliveredIds()).containsExactly(result.entryId());
  }

  @Test
  void aDeadlineShorterThanTheOutageEndsTheWriteInTime() {
    int port = FreePorts.next(); // nothing listens there during the whole call
    client = WalmeshClient.grpc(clientVertx, "127.0.0.1", port).retryPolicy(patient()).build();

    long start = System.nanoTime();
    Throwable error = failure(client.write(request("orders", "never stored"), Duration.ofMillis(1_500)));
    long tookMs = (System.nanoTime() - start) / 1_000_000;

    assertThat(tookMs).isLessThanOrEqualTo(1_500 + 250);
    assertThat(error).isInstanceOf(WriteException.class);
    WriteException write = (WriteException) error;
    assertThat(write.outcome()).isEqualTo(Outcome.UNREACHABLE);
    assertThat(write.status()).isEqualTo(GrpcStatus.UNAVAILABLE);
    assertThat(write.durable()).as("no attempt reached a node").isEqualTo(Durability.FAILED);
    assertThat(write.attempts()).isGreaterThan(1);
    assertThat(write.getMessage()).startsWith("UNAVAILABLE: cannot reach the walmesh gateway at 127.0.0.1:" + port)
        .contains("nothing stored").contains("1500 ms deadline");
  }

  @Test
  void aDeadlineEndsACallToAGatewayThatNeverAnswers() throws IOException {
    List<Socket> accepted = new CopyOnWriteArrayList<>();
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread acceptor = new Thread(() -> {
        try {
          while (true) {
            accepted.add(silent.accept()); // holds the connection, never answers
          }
        } catch (IOException closed) {
          // the test is over
        }
      }, "silent-gateway");
      acceptor.setDaemon(true);
      acceptor.start();
      client = WalmeshClient.grpc(clientVertx, "127.0.0.1", silent.getLocalPort()).retryPolicy(patient()).build();

      long start = System.nanoTime();
      Throwable error = failure(client.write(request("orders", "into the void"), Duration.ofMillis(800)));
      long tookMs = (System.nanoTime() - start) / 1_000_000;

      assertThat(tookMs).isLessThanOrEqualTo(800 + 250);
      WriteException write = (WriteException) error;
      assertThat(write.outcome()).isEqualTo(Outcome.DEADLINE_EXCEEDED);
      assertThat(write.status()).isEqualTo(GrpcStatus.DEADLINE_EXCEEDED);
      assertThat(write.getMessage()).startsWith("DEADLINE_EXCEEDED: ").contains("800 ms deadline");
    } finally {
      for (Socket socket : accepted) {
        socket.close();
      }
    }
  }

  @Test
  void overTheEventBusAMissingGatewayIsRetriedUntilTheDeadline() {
    client = WalmeshClient.eventBus(clientVertx).retryPolicy(patient()).build(); // no node in this Vert.x

    long start = System.nanoTime();
    WriteException write = (WriteException) failure(client.write(request("orders", "nobody home"),
        Duration.ofMillis(700)));
    long tookMs = (System.nanoTime() - start) / 1_000_000;

    assertThat(tookMs).isLessThanOrEqualTo(700 + 250);
    assertThat(write.outcome()).isEqualTo(Outcome.UNREACHABLE);
    assertThat(write.durable()).isEqualTo(Durability.FAILED);
    assertThat(write.attempts()).isGreaterThan(1);
    assertThat(write.result().message()).contains("walmesh.v1.write");
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
