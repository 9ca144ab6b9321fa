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
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The client's streaming mode ({@code streaming(true)}: writes as requests of one WriteToLogStream). */
class StreamingClientTest extends NodeFixture {
  @Test
  void manyWritesInFlightAreEachAnsweredAsAUnaryWriteWouldBe() {
    node = TestNode.start(dataDir, "streamed", 0);
    await(node.namespaces().create(TestNode.namespace("orders", sink.url("/orders")).put("ordering", "none")));
    client = WalmeshClient.grpc(clientVertx, "127.0.0.1", node.grpcPort()).streaming(true).build();

    List<Future<WriteResult>> writes = new ArrayList<>();
    for (int i = 0; i < 2_000; i++) {
      writes.add(client.write(request("orders", "order " + i)));
    }
    Set<String> ids = new HashSet<>();
    for (Future<WriteResult> write : writes) {
      WriteResult result = await(write);
      assertThat(result.durable()).isEqualTo(Durability.SUCCESS);
      ids.add(result.entryId());
    }
    assertThat(ids).as("one entry each").hasSize(2_000);

    Throwable unknown = failure(client.write(request("no-such-namespace", "x")));
    assertThat(unknown).isInstanceOf(WriteException.class);
    assertThat(((WriteException) unknown).status()).isEqualTo(GrpcStatus.NOT_FOUND);
    assertThat(((WriteException) unknown).attempts()).as("a refusal is not retried").isEqualTo(1);

    await().atMost(Duration.ofSeconds(60)).until(() -> sink.delivered().size() >= 2_000);
    assertThat(sink.deliveredIds()).containsAll(ids);
  }

  @Test
  void writesWaitingOnAStreamThatBreaksAreRetriedOnANewOneAndStoredOnce() throws Exception {
    int port = FreePorts.next();
    node = TestNode.start(dataDir, "restarted", port);
    await(node.namespaces().create(TestNode.namespace("orders", sink.url("/orders")).put("ordering", "none")));
    client = WalmeshClient.grpc(clientVertx, "127.0.0.1", port).streaming(true)
        .retryPolicy(new RetryPolicy().maxAttempts(1_000).initialBackoff(Duration.ofMillis(50))
            .maxBackoff(Duration.ofMillis(200))).build();

    List<Future<WriteResult>> writes = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      writes.add(client.write(request("orders", "order " + i), Duration.ofSeconds(60)));
      if (i == 300) {
        await(node.stop()); // the stream breaks with writes on it
        node = null;
      }
    }
    node = TestNode.start(dataDir, "restarted", port);

    Map<String, String> entryOf = new java.util.HashMap<>();
    int retried = 0;
    for (int i = 0; i < writes.size(); i++) {
      WriteResult result = await(writes.get(i));
      assertThat(result.durable()).as("order %s: %s", i, result).isEqualTo(Durability.SUCCESS);
      entryOf.put("order " + i, result.entryId());
      retried += result.attempts() > 1 ? 1 : 0;
    }
    assertThat(retried).as("writes sent while the node was down were retried").isPositive();
    await().atMost(Duration.ofSeconds(60)).until(() -> sink.deliveredBodies().containsAll(entryOf.keySet()));
    Map<String, Set<String>> deliveredEntries = sink.delivered().stream().collect(Collectors.groupingBy(
        HttpSink.Received::body, Collectors.mapping(HttpSink.Received::entryId, Collectors.toSet())));
    entryOf.forEach((payload, entry) -> assertThat(deliveredEntries.get(payload)).as("%s stored once", payload)
        .containsExactly(entry));
  }
}
