package io.walmesh.node;

import static io.walmesh.node.TestNodes.create;
import static io.walmesh.node.TestNodes.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.walmesh.protocol.v1.Trilean;
import io.walmesh.protocol.v1.WriteToLogStreamRequest;
import io.walmesh.protocol.v1.WriteToLogStreamResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code WriteToLogStream} from grpc-java (not walmesh's client): each request answered once with
 * its id and the status WriteToLog would give, entries stored and delivered, and a client that
 * does not read its answers held back by flow control instead of filling the node's memory.
 */
class WriteToLogStreamTest extends SingleNodeTest {
  static final MethodDescriptor<WriteToLogStreamRequest, WriteToLogStreamResponse> STREAM =
      MethodDescriptor.<WriteToLogStreamRequest, WriteToLogStreamResponse>newBuilder()
          .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
          .setFullMethodName("walmesh.v1.WriteAheadLog/WriteToLogStream")
          .setRequestMarshaller(ProtoUtils.marshaller(WriteToLogStreamRequest.getDefaultInstance()))
          .setResponseMarshaller(ProtoUtils.marshaller(WriteToLogStreamResponse.getDefaultInstance()))
          .build();

  /** A grpc-java stream whose answers the test reads when it asks for them. */
  static final class JavaStream extends ClientCall.Listener<WriteToLogStreamResponse> {
    final ClientCall<WriteToLogStreamRequest, WriteToLogStreamResponse> call;
    final Map<Long, WriteToLogStreamResponse> answers = new ConcurrentHashMap<>();
    final java.util.concurrent.atomic.AtomicInteger duplicates = new java.util.concurrent.atomic.AtomicInteger();
    final CompletableFuture<Status> closed = new CompletableFuture<>();

    /** With {@code window} > 0, reads that many answers ahead as it goes; with 0, reads none until {@code call.request(n)}. */
    final int window;

    JavaStream(ManagedChannel channel, int window) {
      this.window = window;
      call = channel.newCall(STREAM, CallOptions.DEFAULT.withDeadlineAfter(120, TimeUnit.SECONDS));
      call.start(this, new Metadata());
      if (window > 0) {
        call.request(window);
      }
    }

    @Override
    public void onMessage(WriteToLogStreamResponse message) {
      if (answers.put(message.getRequestId(), message) != null) {
        duplicates.incrementAndGet();
      }
      if (window > 0) {
        call.request(1);
      }
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      closed.complete(status);
    }
  }

  @Test
  void everyRequestIsAnsweredOnceWithItsIdAndItsOwnStatusAndTheEntriesAreDelivered() throws Exception {
    create(admin, TestNodes.namespace("streamed", sink.url("/s")).put("ordering", "none"));
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", node.grpcPort()).usePlaintext().build();
    try {
      JavaStream stream = new JavaStream(channel, 64);
      int writes = 3_000;
      for (long id = 1; id <= writes; id++) {
        String namespace = id % 1000 == 0 ? "no-such-namespace" : "streamed";
        stream.call.sendMessage(WriteToLogStreamRequest.newBuilder().setRequestId(id)
            .setRequest(request(namespace, "entry " + id)).build());
      }
      stream.call.sendMessage(WriteToLogStreamRequest.newBuilder().setRequestId(writes + 1).build()); // no request
      stream.call.halfClose();

      assertThat(stream.closed.get(60, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.OK);
      assertThat(stream.duplicates.get()).as("no request answered twice").isZero();
      assertThat(stream.answers).hasSize(writes + 1);
      Set<String> stored = new HashSet<>();
      for (long id = 1; id <= writes; id++) {
        WriteToLogStreamResponse answer = stream.answers.get(id);
        if (id % 1000 == 0) {
          assertThat(answer.getStatusCode()).isEqualTo(Status.Code.NOT_FOUND.value());
          assertThat(answer.getStatusMessage()).contains("no-such-namespace").contains("does not exist");
        } else {
          assertThat(answer.getStatusCode()).as(answer.toString()).isZero();
          assertThat(answer.getResponse().getDurable()).isEqualTo(Trilean.SUCCESS);
          stored.add(answer.getResponse().getEntryId());
        }
      }
      assertThat(stored).as("each write its own entry").hasSize(writes - 3);
      WriteToLogStreamResponse empty = stream.answers.get((long) writes + 1);
      assertThat(empty.getStatusCode()).isEqualTo(Status.Code.INVALID_ARGUMENT.value());
      assertThat(empty.getStatusMessage()).contains("no request");

      await().atMost(Duration.ofSeconds(60)).until(() -> sink.delivered().size() >= writes - 3);
      assertThat(sink.deliveredBodies()).contains("entry 1", "entry 2999").doesNotContain("entry 1000");
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void aClientThatDoesNotReadItsAnswersIsHeldBackAndLosesNothingWhenItReadsAgain() throws Exception {
    create(admin, TestNodes.namespace("stream-held", sink.url("/h")).put("ordering", "none"));
    // a small receive window: the node's answers fill it quickly when the client stops reading
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", node.grpcPort()).usePlaintext()
        .flowControlWindow(64 * 1024).build();
    try {
      JavaStream stream = new JavaStream(channel, 0); // reads no answer
      int writes = 20_000;
      for (long id = 1; id <= writes; id++) {
        stream.call.sendMessage(WriteToLogStreamRequest.newBuilder().setRequestId(id)
            .setRequest(TestNodes.delayed("stream-held", "held " + id, 3_600_000)).build());
      }
      stream.call.halfClose();
      // the node stops reading the stream: far fewer writes are stored than were sent
      await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() -> pending("stream-held") > 0);
      long storedWhileHeld = pending("stream-held");
      await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> pending("stream-held") == storedWhileHeld);
      assertThat(pending("stream-held")).as("nothing more is taken while the client reads nothing").isEqualTo(storedWhileHeld);
      assertThat(storedWhileHeld).as("held back by flow control after %s of %s writes", storedWhileHeld, writes)
          .isLessThan(writes / 2);
      assertThat(stream.answers).isEmpty();

      stream.call.request(writes);
      Status end = stream.closed.get(60, TimeUnit.SECONDS);
      assertThat(end.getCode()).as("%s, after %s answers", end, stream.answers.size()).isEqualTo(Status.Code.OK);
      assertThat(stream.answers).hasSize(writes);
      assertThat(stream.answers.values()).allSatisfy(a -> assertThat(a.getResponse().getDurable()).isEqualTo(Trilean.SUCCESS));
      assertThat(pending("stream-held")).isEqualTo(writes);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static long pending(String namespace) {
    return admin.get("/v1/namespaces/" + namespace).body().getJsonObject("stats").getLong("pending");
  }
}
