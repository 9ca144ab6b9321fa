package io.walmesh.node.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.grpc.common.GrpcStatus;
import io.walmesh.protocol.Addresses;
import io.walmesh.protocol.ProtobufCodec;
import io.walmesh.protocol.WriteFailure;
import io.walmesh.protocol.v1.Trilean;
import io.walmesh.protocol.v1.WriteToLogBatchRequest;
import io.walmesh.protocol.v1.WriteToLogBatchResponse;
import io.walmesh.protocol.v1.WriteToLogBatchResult;
import io.walmesh.protocol.v1.WriteToLogRequest;
import io.walmesh.protocol.v1.WriteToLogResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How a gateway's writes travel to an owner on another member, on a real event bus with stand-in owners (the owners
 * are the component under test's peers: an older walmesh without the batch address, or an owner that never answers,
 * cannot be made from outside). The real owner, {@code ProducerVerticle}, answers batches in {@code MeshTest}.
 */
class RemoteWritesTest {
  Vertx vertx;
  Context context;
  RemoteWrites writes;
  /** Every message the gateway side sent, by address. */
  final ConcurrentLinkedQueue<String> sent = new ConcurrentLinkedQueue<>();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    ProtobufCodec.registerWriteCodecs(vertx.eventBus());
    vertx.eventBus().addOutboundInterceptor(delivery -> {
      sent.add(delivery.message().address());
      delivery.next();
    });
    context = vertx.getOrCreateContext();
    CompletableFuture<RemoteWrites> made = new CompletableFuture<>();
    context.runOnContext(v -> made.complete(new RemoteWrites(vertx, context, new Deadlines<>(vertx),
        (namespace, timeout, cause) -> GatewayVerticle.failureOutcome(namespace, timeout, cause, ns -> ""))));
    writes = made.get(5, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  private static WriteToLogRequest request(String namespace, String payload) {
    return WriteToLogRequest.newBuilder().setNamespace(namespace)
        .setPayload(com.google.protobuf.ByteString.copyFromUtf8(payload)).build();
  }

  /** Routes the writes in one turn of the gateway's event loop, as a burst of decoded calls is; waits for every answer. */
  private List<Outcome> writeInOneTurn(List<WriteToLogRequest> requests, long timeoutMs) throws Exception {
    CompletableFuture<List<Outcome>> answered = new CompletableFuture<>();
    context.runOnContext(v -> {
      List<Future<Outcome>> outcomes = new ArrayList<>();
      requests.forEach(request -> outcomes.add(writes.write(request, timeoutMs, "00-trace-" + request.getPayload()
          .toStringUtf8() + "-01", true)));
      Future.all(outcomes).onComplete(all -> answered.complete(outcomes.stream().map(Future::result).toList()));
    });
    return answered.get(10, TimeUnit.SECONDS);
  }

  private static WriteToLogResponse stored(String id) {
    return WriteToLogResponse.newBuilder().setDurable(Trilean.SUCCESS).setEntryId(id).build();
  }

  /** An owner with the batch address: answers each write of a batch, refusing a payload "bad", naming its trace. */
  private void batchOwner(String namespace) {
    vertx.eventBus().<WriteToLogBatchRequest>consumer(Addresses.writeBatch(namespace), message -> {
      WriteToLogBatchResponse.Builder reply = WriteToLogBatchResponse.newBuilder();
      for (int i = 0; i < message.body().getRequestsCount(); i++) {
        String payload = message.body().getRequests(i).getPayload().toStringUtf8();
        reply.addResults(payload.equals("bad")
            ? WriteToLogBatchResult.newBuilder().setStatusCode(WriteFailure.INVALID_ARGUMENT.code())
                .setStatusMessage("bad payload")
            : WriteToLogBatchResult.newBuilder().setResponse(stored(payload + "@"
                + message.headers().get(Addresses.batchTraceparent(i)))));
      }
      message.reply(reply.build());
    });
  }

  /** An owner from before batches: the single-write address only. */
  private void singleOwner(String namespace) {
    vertx.eventBus().<WriteToLogRequest>consumer(Addresses.write(namespace), (Message<WriteToLogRequest> message) ->
        message.reply(stored(message.body().getPayload().toStringUtf8())));
  }

  private long sentTo(String address) {
    return sent.stream().filter(address::equals).count();
  }

  @Test
  void theWritesOfOneTurnTravelAsOneMessageAndEachGetsItsOwnAnswerAndTrace() throws Exception {
    batchOwner("orders");
    List<WriteToLogRequest> requests = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      requests.add(request("orders", i == 17 ? "bad" : "w" + i));
    }
    List<Outcome> outcomes = writeInOneTurn(requests, 5_000);

    assertThat(sentTo(Addresses.writeBatch("orders"))).as("one message for the turn's 40 writes").isEqualTo(1);
    assertThat(sentTo(Addresses.write("orders"))).isZero();
    for (int i = 0; i < 40; i++) {
      Outcome outcome = outcomes.get(i);
      if (i == 17) {
        assertThat(outcome.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
        assertThat(outcome.message()).isEqualTo("bad payload");
      } else {
        assertThat(outcome.status()).isEqualTo(GrpcStatus.OK);
        assertThat(outcome.response().getEntryId()).as("write %d's own answer, with its own trace", i)
            .isEqualTo("w" + i + "@00-trace-w" + i + "-01");
      }
    }

    // over the per-message bound: several messages, still one answer per write, in order
    List<WriteToLogRequest> many = new ArrayList<>();
    for (int i = 0; i < RemoteWrites.MAX_PER_MESSAGE * 2 + 5; i++) {
      many.add(request("orders", "m" + i));
    }
    List<Outcome> manyOutcomes = writeInOneTurn(many, 5_000);
    assertThat(sentTo(Addresses.writeBatch("orders"))).isEqualTo(1 + 3);
    for (int i = 0; i < many.size(); i++) {
      assertThat(manyOutcomes.get(i).response().getEntryId()).startsWith("m" + i + "@");
    }
  }

  @Test
  void largeWritesAreSplitSoNoMessagePassesAMebibyte() throws Exception {
    batchOwner("large");
    singleOwner("large");
    String payload = "x".repeat(300_000);
    List<WriteToLogRequest> requests = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      requests.add(request("large", i + payload));
    }
    List<Outcome> outcomes = writeInOneTurn(requests, 5_000);
    assertThat(outcomes).allSatisfy(o -> assertThat(o.status()).isEqualTo(GrpcStatus.OK));
    // three writes of about 300 KB per message, and the tenth alone on the single-write address
    assertThat(sentTo(Addresses.writeBatch("large"))).isEqualTo(3);
    assertThat(sentTo(Addresses.write("large"))).isEqualTo(1);
  }

  @Test
  void anOwnerWithoutTheBatchAddressGetsTheWritesOneByOneAndIsNotSentBatchesForAWhile() throws Exception {
    singleOwner("legacy");
    List<WriteToLogRequest> requests = List.of(request("legacy", "a"), request("legacy", "b"), request("legacy", "c"));
    List<Outcome> outcomes = writeInOneTurn(requests, 5_000);
    assertThat(outcomes).extracting(o -> o.response().getEntryId()).containsExactly("a", "b", "c");
    assertThat(sentTo(Addresses.writeBatch("legacy"))).as("one batch tried").isEqualTo(1);
    assertThat(sentTo(Addresses.write("legacy"))).isEqualTo(3);

    List<Outcome> again = writeInOneTurn(List.of(request("legacy", "d"), request("legacy", "e")), 5_000);
    assertThat(again).extracting(o -> o.response().getEntryId()).containsExactly("d", "e");
    assertThat(sentTo(Addresses.writeBatch("legacy"))).as("no batch while the owner is known to take none").isEqualTo(1);
    assertThat(sentTo(Addresses.write("legacy"))).isEqualTo(5);
  }

  @Test
  void withNoOwnerEveryWriteSaysSoAndTheNextTurnStillTriesABatch() throws Exception {
    List<Outcome> outcomes = writeInOneTurn(List.of(request("nobody", "a"), request("nobody", "b")), 5_000);
    assertThat(outcomes).allSatisfy(o -> {
      assertThat(o.status()).isEqualTo(GrpcStatus.UNAVAILABLE);
      assertThat(o.message()).contains("no node owns namespace nobody");
    });
    writeInOneTurn(List.of(request("nobody", "c"), request("nobody", "d")), 5_000);
    assertThat(sentTo(Addresses.writeBatch("nobody"))).isEqualTo(2);
  }

  @Test
  void anOwnerThatNeverAnswersLeavesEachWriteUnknownAtItsOwnDeadline() throws Exception {
    vertx.eventBus().consumer(Addresses.writeBatch("silent"), message -> {
      // takes the batch and never answers
    });
    CompletableFuture<long[]> answeredAfterMs = new CompletableFuture<>();
    CompletableFuture<List<Outcome>> outcomes = new CompletableFuture<>();
    context.runOnContext(v -> {
      long started = System.nanoTime();
      long[] after = new long[2];
      Future<Outcome> soon = writes.write(request("silent", "soon"), 300, null, true)
          .andThen(done -> after[0] = (System.nanoTime() - started) / 1_000_000);
      Future<Outcome> later = writes.write(request("silent", "later"), 1_500, null, true)
          .andThen(done -> after[1] = (System.nanoTime() - started) / 1_000_000);
      Future.all(soon, later).onComplete(all -> {
        answeredAfterMs.complete(after);
        outcomes.complete(List.of(soon.result(), later.result()));
      });
    });
    List<Outcome> answered = outcomes.get(10, TimeUnit.SECONDS);
    long[] after = answeredAfterMs.get();
    assertThat(answered).allSatisfy(o -> assertThat(o.response().getDurable()).isEqualTo(Trilean.UNKNOWN));
    assertThat(answered.get(0).response().getMessage()).contains("within 300 ms");
    assertThat(answered.get(1).response().getMessage()).contains("within 1500 ms");
    assertThat(after[0]).as("the short deadline is kept, not the batch's longest").isBetween(300L, 1_200L);
    assertThat(after[1]).isGreaterThanOrEqualTo(1_500L);
  }
}
