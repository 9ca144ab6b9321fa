package io.walmesh.client;

import static io.walmesh.client.TestNode.await;
import static io.walmesh.client.TestNode.failure;
import static io.walmesh.client.TestNode.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import io.walmesh.node.Node;
import io.walmesh.protocol.v1.WriteToLogRequest;
import io.walmesh.testkit.HttpSink;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The client against one real node in this JVM, over both transports: gRPC from a Vert.x instance
 * of its own, and the event bus of the node's Vert.x instance, as an embedding application would.
 */
class WalmeshClientTest {
  /** The two transports. */
  enum Via { GRPC, EVENT_BUS }

  @TempDir
  static Path dataDir;
  static Node node;
  static Vertx clientVertx;
  static HttpSink sink;
  private final List<WalmeshClient> clients = new ArrayList<>();

  @BeforeAll
  static void startNode() {
    clientVertx = Vertx.vertx();
    sink = new HttpSink(clientVertx).start();
    node = TestNode.start(dataDir, "client-test", 0);
    await(node.namespaces().create(TestNode.namespace("orders", sink.url("/orders"))));
    await(node.namespaces().create(TestNode.namespace("strict", sink.url("/strict")).put("max-payload-bytes", 16)));
    await(node.namespaces().create(TestNode.namespace("narrow", sink.url("/narrow")).put("max-in-flight-writes", 1)));
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      await(node.stop());
    }
    if (sink != null) {
      sink.close();
    }
    TestNode.close(clientVertx);
  }

  @AfterEach
  void closeClients() {
    clients.forEach(client -> await(client.close()));
  }

  private WalmeshClient client(Via via, RetryPolicy retry) {
    WalmeshClient.Builder builder = via == Via.GRPC ? WalmeshClient.grpc(clientVertx, "127.0.0.1", node.grpcPort())
        : WalmeshClient.eventBus(node.vertx());
    WalmeshClient client = builder.deadline(Duration.ofSeconds(10)).retryPolicy(retry).build();
    clients.add(client);
    return client;
  }

  private WalmeshClient client(Via via) {
    return client(via, new RetryPolicy());
  }

  private static List<HttpSink.Received> deliveredWithBody(String body) {
    return sink.delivered().stream().filter(r -> r.body().equals(body)).toList();
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void aWriteIsStoredThenDelivered(Via via) {
    String payload = "set order:1 " + via + " " + UUID.randomUUID();

    WriteResult result = await(client(via).write(request("orders", payload)));

    assertThat(result.durable()).isEqualTo(Durability.SUCCESS);
    assertThat(result.outcome()).isEqualTo(Outcome.STORED);
    assertThat(result.status()).isEqualTo(GrpcStatus.OK);
    assertThat(result.attempts()).isEqualTo(1);
    assertThat(result.entryId()).isNotEmpty();
    assertThat(UUID.fromString(result.idempotencyKey())).as("an automatic key").isNotNull();
    await().atMost(Duration.ofSeconds(10)).until(() -> !deliveredWithBody(payload).isEmpty());
    assertThat(deliveredWithBody(payload)).extracting(HttpSink.Received::entryId).containsOnly(result.entryId());
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void anUnknownNamespaceIsNotFoundAndNotRetried(Via via) {
    Throwable error = failure(client(via).write(request("no-such-namespace", "lost")));

    assertThat(error).isInstanceOf(WriteException.class);
    WriteException write = (WriteException) error;
    assertThat(write.outcome()).isEqualTo(Outcome.REFUSED);
    assertThat(write.status()).isEqualTo(GrpcStatus.NOT_FOUND);
    assertThat(write.durable()).isEqualTo(Durability.FAILED);
    assertThat(write.attempts()).isEqualTo(1);
    assertThat(write.result().message()).contains("no-such-namespace").contains("does not exist");
    assertThat(write.getMessage()).startsWith("NOT_FOUND: ").contains("nothing stored").contains("1 attempt");
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void anInvalidRequestIsRefusedAndNotRetried(Via via) {
    Throwable error = failure(client(via).write(request("strict", "a payload over sixteen bytes")));

    WriteException write = (WriteException) error;
    assertThat(write.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
    assertThat(write.outcome()).isEqualTo(Outcome.REFUSED);
    assertThat(write.attempts()).isEqualTo(1);
    assertThat(write.result().message()).contains("max-payload-bytes");
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void writingAgainWithTheSameIdempotencyKeyStoresOnce(Via via) {
    WalmeshClient client = client(via);
    String payload = "once " + via + " " + UUID.randomUUID();

    WriteResult first = await(client.write(request("orders", payload)));
    WriteResult again = await(client.write(request("orders", payload).toBuilder()
        .setIdempotencyKey(first.idempotencyKey()).build()));

    assertThat(again.entryId()).isEqualTo(first.entryId());
    await().atMost(Duration.ofSeconds(10)).until(() -> !deliveredWithBody(payload).isEmpty());
    await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(3))
        .until(() -> deliveredWithBody(payload).size() == 1);
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void shedWritesAreRetriedAndEachIsStoredOnce(Via via) {
    // max-in-flight-writes 1: concurrent writes are shed with RESOURCE_EXHAUSTED until retried
    WalmeshClient client = client(via, new RetryPolicy().maxAttempts(200).initialBackoff(Duration.ofMillis(5))
        .maxBackoff(Duration.ofMillis(50)).jitter(1.0));
    String run = via + "-" + UUID.randomUUID();
    List<Future<WriteResult>> writes = IntStream.range(0, 40)
        .mapToObj(i -> client.write(request("narrow", run + "-" + i), Duration.ofSeconds(30))).toList();

    List<WriteResult> results = writes.stream().map(TestNode::await).toList();

    assertThat(results).allMatch(WriteResult::isDurable);
    assertThat(results).extracting(WriteResult::entryId).doesNotHaveDuplicates();
    assertThat(results).as("some writes were shed, then retried").anyMatch(r -> r.attempts() > 1);
    await().atMost(Duration.ofSeconds(20)).until(() -> sink.delivered().stream()
        .filter(r -> r.body().startsWith(run)).map(HttpSink.Received::body).distinct().count() == 40);
    assertThat(sink.delivered().stream().filter(r -> r.body().startsWith(run)).map(HttpSink.Received::entryId)
        .distinct().count()).as("one entry per write").isEqualTo(40);
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void aBatchAnswersEachRequestInOrder(Via via) {
    String run = "batch " + via + " " + UUID.randomUUID();
    List<WriteToLogRequest> batch = List.of(request("orders", run + " a"), request("no-such-namespace", run + " b"),
        request("orders", run + " c"), request("strict", run + " d is over sixteen bytes"));

    List<WriteResult> results = await(client(via).writeBatch(batch));

    assertThat(results).extracting(WriteResult::status).containsExactly(GrpcStatus.OK, GrpcStatus.NOT_FOUND,
        GrpcStatus.OK, GrpcStatus.INVALID_ARGUMENT);
    assertThat(results).extracting(WriteResult::durable).containsExactly(Durability.SUCCESS, Durability.FAILED,
        Durability.SUCCESS, Durability.FAILED);
    assertThat(results).extracting(WriteResult::attempts).containsOnly(1);
    assertThat(results.get(1).toException().getMessage()).startsWith("NOT_FOUND: ");
    await().atMost(Duration.ofSeconds(10)).until(() -> sink.deliveredBodies().containsAll(List.of(run + " a", run + " c")));
    assertThat(deliveredWithBody(run + " a")).extracting(HttpSink.Received::entryId).containsOnly(results.get(0).entryId());
  }

  @Test
  void aBatchOverGrpcSplitsAboveTheGatewaysLimit() {
    String run = "big batch " + UUID.randomUUID();
    List<WriteToLogRequest> batch = IntStream.range(0, 1500).mapToObj(i -> request("orders", run + " " + i)).toList();

    List<WriteResult> results = await(client(Via.GRPC).writeBatch(batch, Duration.ofSeconds(30)));

    assertThat(results).hasSize(1500).allMatch(WriteResult::isDurable);
    assertThat(results).extracting(WriteResult::entryId).doesNotHaveDuplicates();
  }

  @Test
  void withoutAutomaticKeysARequestKeepsNoKey() {
    WalmeshClient client = WalmeshClient.grpc(clientVertx, "127.0.0.1", node.grpcPort()).autoIdempotencyKeys(false)
        .build();
    clients.add(client);

    WriteResult result = await(client.write(request("orders", "no key " + UUID.randomUUID())));

    assertThat(result.isDurable()).isTrue();
    assertThat(result.idempotencyKey()).isEmpty();
  }

  @Test
  void aClosedClientFailsWritesAtOnce() {
    WalmeshClient client = client(Via.GRPC);
    await(client.close());

    WriteException error = (WriteException) failure(client.write(request("orders", "after close")));

    assertThat(error.outcome()).isEqualTo(Outcome.CLOSED);
    assertThat(error.durable()).isEqualTo(Durability.FAILED);
    assertThat(error.attempts()).isZero();
  }

  @Test
  void theKeyAndHeadersReachTheTarget() {
    WriteToLogRequest keyed = request("orders", "keyed " + UUID.randomUUID()).toBuilder().setKey("k")
        .putHeaders("x-trace", "abc").build();

    WriteResult result = await(client(Via.EVENT_BUS).write(keyed));

    await().atMost(Duration.ofSeconds(10)).until(() -> sink.deliveredIds().contains(result.entryId()));
    HttpSink.Received received = sink.delivered().stream().filter(r -> r.entryId().equals(result.entryId())).findFirst()
        .orElseThrow();
    assertThat(received.key()).isEqualTo("k");
    assertThat(received.headers()).containsEntry("x-trace", "abc");
  }
}
