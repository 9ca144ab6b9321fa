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

  /**
   * A gateway that reads a stream's requests and answers only when told. It stands in for a node that is not keeping
   * up, which a real node cannot be made into on demand; the client's side of the bound is what is under test.
   */
  @Test
  void aClientWritingFasterThanTheNodeAnswersHoldsItsWritesBackAndRefusesPastItsLimit() throws Exception {
    java.util.List<io.vertx.grpc.server.GrpcServerRequest<io.walmesh.protocol.v1.WriteToLogStreamRequest,
        io.walmesh.protocol.v1.WriteToLogStreamResponse>> calls = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.concurrent.ConcurrentLinkedQueue<Long> received = new java.util.concurrent.ConcurrentLinkedQueue<>();
    io.vertx.core.Vertx serverVertx = io.vertx.core.Vertx.vertx();
    try {
      io.vertx.grpc.server.GrpcServer grpc = io.vertx.grpc.server.GrpcServer.server(serverVertx);
      grpc.callHandler(io.walmesh.protocol.v1.WriteAheadLogGrpcService.WriteToLogStream, call -> {
        calls.add(call);
        call.handler(request -> received.add(request.getRequestId()));
      });
      io.vertx.core.http.HttpServer server = await(serverVertx.createHttpServer(new io.vertx.core.http.HttpServerOptions()
          .setHost("127.0.0.1").setPort(0)).requestHandler(grpc).listen());
      client = WalmeshClient.grpc(clientVertx, "127.0.0.1", server.actualPort()).streaming(true)
          .retryPolicy(RetryPolicy.none()).build();
      int bound = io.walmesh.client.impl.StreamTransport.MAX_UNANSWERED;
      int limit = io.walmesh.client.impl.StreamTransport.MAX_HELD;

      List<Future<WriteResult>> writes = new ArrayList<>();
      for (int i = 0; i < bound + limit + 5; i++) {
        writes.add(client.write(request("orders", "order " + i), Duration.ofSeconds(60)));
      }
      // the node gets exactly the bound, no more, however long the client keeps writing
      await().atMost(Duration.ofSeconds(10)).until(() -> received.size() >= bound);
      await("no more than the bound sent while none is answered").during(Duration.ofMillis(300))
          .atMost(Duration.ofSeconds(5)).until(() -> received.size() == bound);
      // the writes past what the client may hold are refused at once, certainly not sent, saying why: at least the
      // last 5, more if the stream was still opening or its send queue full when the others came (they wait too)
      List<Future<WriteResult>> accepted = new ArrayList<>();
      int refusedCount = 0;
      for (Future<WriteResult> write : writes) {
        try {
          write.toCompletionStage().toCompletableFuture().get(0, java.util.concurrent.TimeUnit.MILLISECONDS);
          throw new AssertionError("a write completed while the node answered nothing");
        } catch (java.util.concurrent.TimeoutException waiting) {
          accepted.add(write);
        } catch (java.util.concurrent.ExecutionException e) {
          refusedCount++;
          assertThat(e.getCause()).isInstanceOf(WriteException.class);
          assertThat(((WriteException) e.getCause()).status()).isEqualTo(GrpcStatus.RESOURCE_EXHAUSTED);
          assertThat(e.getCause().getMessage()).contains("writes unanswered (at most " + bound,
              "to be sent (at most " + limit + ")", "the write was not sent");
        }
      }
      assertThat(refusedCount).as("writes refused").isGreaterThanOrEqualTo(5);
      assertThat(accepted.size()).as("writes sent or held").isLessThanOrEqualTo(bound + limit);
      int total = accepted.size();

      // each answer lets one held write go, in the order they were written
      io.vertx.grpc.server.GrpcServerRequest<io.walmesh.protocol.v1.WriteToLogStreamRequest,
          io.walmesh.protocol.v1.WriteToLogStreamResponse> call = calls.get(0);
      java.util.function.Consumer<Long> answer = id -> serverVertx.runOnContext(v -> call.response().write(
          io.walmesh.protocol.v1.WriteToLogStreamResponse.newBuilder().setRequestId(id).setStatusCode(0)
              .setResponse(io.walmesh.protocol.v1.WriteToLogResponse.newBuilder()
                  .setDurable(io.walmesh.protocol.v1.Trilean.SUCCESS).setEntryId("e" + id)).build()));
      Set<Long> answered = new HashSet<>();
      for (int round = 0; answered.size() < total; round++) {
        List<Long> pending = received.stream().filter(id -> !answered.contains(id)).collect(Collectors.toList());
        assertThat(pending.size()).as("unanswered at the node, round %s", round).isLessThanOrEqualTo(bound);
        pending.forEach(answer);
        answered.addAll(pending);
        await().atMost(Duration.ofSeconds(10)).until(() -> received.size() >= Math.min(total, answered.size() + 1));
      }
      assertThat(List.copyOf(received)).as("sent once each, in the order written").isEqualTo(
          java.util.stream.LongStream.rangeClosed(1, total).boxed().collect(Collectors.toList()));
      for (Future<WriteResult> write : accepted) {
        assertThat(await(write).durable()).isEqualTo(Durability.SUCCESS);
      }
    } finally {
      await(serverVertx.close());
    }
  }
}
