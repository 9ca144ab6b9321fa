package io.walmesh.node;

import static io.walmesh.node.TestNodes.create;
import static io.walmesh.node.TestNodes.namespace;
import static io.walmesh.node.TestNodes.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.vertx.core.buffer.Buffer;
import io.walmesh.protocol.v1.Lifecycle;
import io.walmesh.protocol.v1.Target;
import io.walmesh.protocol.v1.Trilean;
import io.walmesh.protocol.v1.WriteToLogRequest;
import io.walmesh.protocol.v1.WriteToLogResponse;
import io.walmesh.protocol.v1.WriteToLogStreamRequest;
import io.walmesh.protocol.v1.WriteToLogStreamResponse;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/**
 * Issue #13: each attack as it was made, from clients that are not ours (grpc-java, raw HTTP/2
 * bytes), against a real node. Every call gets a gRPC status that names the problem and the limit,
 * promptly; the node keeps taking good writes; no acknowledged entry is lost.
 */
class HostileInputTest extends SingleNodeTest {

  private void assertGoodWriteIsDelivered(String ns) {
    GrpcPeers.JavaAnswer good = peers.write(request(ns, "good-after").build(), false);
    assertThat(good.code()).isEqualTo(Status.Code.OK);
    assertThat(good.response().getDurable()).isEqualTo(Trilean.SUCCESS);
    await().atMost(Duration.ofSeconds(10)).until(() -> sink.deliveredIds().contains(good.response().getEntryId()));
  }

  private static byte[] gzip(byte[] data, int repeat) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out, 1 << 16)) {
      for (int i = 0; i < repeat; i++) {
        gz.write(data);
      }
    }
    return out.toByteArray();
  }

  @Test
  void aGzipBombIsRefusedWithoutInflatingIt() throws Exception {
    create(admin, namespace("bomb", sink.url("/apply")));
    // a valid request prefix (namespace) followed by a 200 MB payload field of zeros: ~200 KB compressed
    byte[] head = request("bomb", "").build().toByteArray();
    ByteArrayOutputStream prefix = new ByteArrayOutputStream();
    prefix.write(head);
    prefix.write(0x1a); // field 3 (payload), length-delimited
    int size = 200 << 20;
    for (long v = size; ; v >>>= 7) { // varint length
      if ((v & ~0x7FL) == 0) {
        prefix.write((int) v);
        break;
      }
      prefix.write((int) ((v & 0x7F) | 0x80));
    }
    ByteArrayOutputStream bomb = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(bomb, 1 << 16)) {
      gz.write(prefix.toByteArray());
      byte[] zeros = new byte[1 << 20];
      for (int i = 0; i < 200; i++) {
        gz.write(zeros);
      }
    }
    assertThat(bomb.size()).isLessThan(1 << 20);
    long before = System.nanoTime();
    GrpcPeers.RawAnswer answer = peers.raw(Map.of("grpc-encoding", "gzip"), GrpcPeers.frame(true, bomb.toByteArray()), true, 5_000);
    assertThat(answer.grpcStatus()).isEqualTo(String.valueOf(Status.Code.RESOURCE_EXHAUSTED.value()));
    assertThat(answer.grpcMessage()).contains("inflates to more than").contains(String.valueOf(io.walmesh.node.gateway.GatewayVerticle.MAX_MESSAGE_BYTES));
    assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(Duration.ofSeconds(5));
    // gzip done right by grpc-java still works
    GrpcPeers.JavaAnswer compressed = peers.write(request("bomb", "compressed fine").build(), true);
    assertThat(compressed.code()).isEqualTo(Status.Code.OK);
    assertGoodWriteIsDelivered("bomb");
  }

  @Test
  void malformedFramesEachGetAStatusPromptly() {
    create(admin, namespace("frames", sink.url("/apply")));
    String invalid = String.valueOf(Status.Code.INVALID_ARGUMENT.value());
    byte[] valid = request("frames", "x").build().toByteArray();

    // garbage
    GrpcPeers.RawAnswer garbage = peers.raw(Map.of(), GrpcPeers.frame(false, new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 7, 7}), true, 5_000);
    assertThat(garbage.grpcStatus()).isEqualTo(invalid);
    assertThat(garbage.grpcMessage()).contains("not a valid");

    // announces 16 MB (within the limit), sends 10 bytes, ends the stream: a truncated message
    Buffer truncated = Buffer.buffer().appendByte((byte) 0).appendInt(16 << 20).appendBytes(new byte[10]);
    GrpcPeers.RawAnswer cut = peers.raw(Map.of(), truncated, true, 5_000);
    assertThat(cut.grpcStatus()).isEqualTo(invalid);
    assertThat(cut.grpcMessage()).contains("ended before a whole");

    // announces more than the limit and keeps the stream open: answered from the length prefix alone
    Buffer tooBig = Buffer.buffer().appendByte((byte) 0).appendInt(Integer.MAX_VALUE).appendBytes(new byte[10]);
    GrpcPeers.RawAnswer big = peers.raw(Map.of(), tooBig, false, 5_000);
    assertThat(big.grpcStatus()).isEqualTo(String.valueOf(Status.Code.RESOURCE_EXHAUSTED.value()));
    assertThat(big.grpcMessage()).contains("over this node's limit of");

    // the compressed flag without grpc-encoding
    GrpcPeers.RawAnswer flag = peers.raw(Map.of(), GrpcPeers.frame(true, valid), true, 5_000);
    assertThat(flag.grpcStatus()).isEqualTo(invalid);
    assertThat(flag.grpcMessage()).contains("compressed flag").contains("no grpc-encoding");

    // an encoding the node does not speak
    GrpcPeers.RawAnswer snappy = peers.raw(Map.of("grpc-encoding", "snappy"), GrpcPeers.frame(true, valid), true, 5_000);
    assertThat(snappy.grpcStatus()).isEqualTo(String.valueOf(Status.Code.UNIMPLEMENTED.value()));
    assertThat(snappy.grpcMessage()).contains("snappy").contains("not supported");

    // no message at all
    GrpcPeers.RawAnswer empty = peers.raw(Map.of(), Buffer.buffer(), true, 5_000);
    assertThat(empty.grpcStatus()).isEqualTo(invalid);

    // two messages on a unary call
    GrpcPeers.RawAnswer two = peers.raw(Map.of(), GrpcPeers.frame(false, valid).appendBuffer(GrpcPeers.frame(false, valid)), true, 5_000);
    assertThat(two.grpcStatus()).isNotEqualTo("0");

    // 100,000 nested groups
    byte[] deep = new byte[200_000];
    for (int i = 0; i < 100_000; i++) {
      deep[i] = 0x7b; // field 15, start group
    }
    for (int i = 100_000; i < deep.length; i++) {
      deep[i] = 0x7c; // field 15, end group
    }
    GrpcPeers.RawAnswer nested = peers.raw(Map.of(), GrpcPeers.frame(false, deep), true, 5_000);
    assertThat(nested.grpcStatus()).isEqualTo(invalid);

    assertGoodWriteIsDelivered("frames");
  }

  /**
   * A unary call's bytes may come in any number of HTTP/2 DATA frames, the length prefix itself cut in two: the node
   * reads the message whole across them (in the {@code +proto} content type too), and refuses a second message that
   * starts in a later frame.
   */
  @Test
  void aMessageSplitOverDataFramesIsReadWholeAndASecondOneInALaterFrameIsRefused() throws Exception {
    create(admin, namespace("pieces", sink.url("/apply")));
    Buffer framed = GrpcPeers.frame(false, request("pieces", "sent in pieces").build().toByteArray());
    int n = framed.length();
    GrpcPeers.RawAnswer whole = peers.raw(Map.of("content-type", "application/grpc+proto"),
        List.of(framed.getBuffer(0, 3), framed.getBuffer(3, 9), framed.getBuffer(9, n - 4), framed.getBuffer(n - 4, n)),
        true, 5_000);
    assertThat(whole.httpStatus()).isEqualTo(200);
    assertThat(whole.grpcStatus()).isEqualTo("0");
    WriteToLogResponse stored = whole.response();
    assertThat(stored.getDurable()).isEqualTo(Trilean.SUCCESS);
    await().atMost(Duration.ofSeconds(10)).until(() -> sink.deliveredIds().contains(stored.getEntryId()));

    GrpcPeers.RawAnswer two = peers.raw(Map.of(), List.of(framed, framed.getBuffer(0, 3)), true, 5_000);
    assertThat(two.grpcStatus()).isEqualTo(String.valueOf(Status.Code.INVALID_ARGUMENT.value()));
    assertThat(two.grpcMessage()).isEqualTo("WriteToLog is unary: the call carried more than one request message");
    assertGoodWriteIsDelivered("pieces");
  }

  /**
   * WriteToLogStream from a raw HTTP/2 client: requests cut across DATA frames in any way are each read and answered
   * with their id; bytes that are not a request message end the call with a status that names the problem.
   */
  @Test
  void aStreamsRequestsAreReadAcrossDataFramesAndBadBytesEndItWithAStatus() throws Exception {
    create(admin, namespace("raw-stream", sink.url("/apply")));
    Buffer three = Buffer.buffer();
    for (int id = 1; id <= 3; id++) {
      three.appendBuffer(GrpcPeers.frame(false, WriteToLogStreamRequest.newBuilder().setRequestId(id)
          .setRequest(request("raw-stream", "streamed " + id)).build().toByteArray()));
    }
    int n = three.length();
    GrpcPeers.RawAnswer read = peers.raw(GrpcPeers.STREAM_PATH, Map.of(),
        List.of(three.getBuffer(0, 1), three.getBuffer(1, 8), three.getBuffer(8, n / 2), three.getBuffer(n / 2, n)), true, 5_000);
    assertThat(read.grpcStatus()).as(read.grpcMessage()).isEqualTo("0");
    List<WriteToLogStreamResponse> answers = read.streamAnswers();
    assertThat(answers).extracting(WriteToLogStreamResponse::getRequestId).containsExactlyInAnyOrder(1L, 2L, 3L);
    assertThat(answers).allSatisfy(a -> assertThat(a.getResponse().getDurable()).isEqualTo(Trilean.SUCCESS));
    await().atMost(Duration.ofSeconds(10)).until(() -> sink.deliveredBodies().containsAll(List.of("streamed 1", "streamed 2",
        "streamed 3")));

    String invalid = String.valueOf(Status.Code.INVALID_ARGUMENT.value());
    // a request, then a message announcing more than the limit, the stream left open: answered from the prefix
    Buffer tooBig = Buffer.buffer().appendByte((byte) 0).appendInt(Integer.MAX_VALUE).appendBytes(new byte[10]);
    GrpcPeers.RawAnswer big = peers.raw(GrpcPeers.STREAM_PATH, Map.of(), List.of(three.getBuffer(0, n / 3), tooBig), false, 5_000);
    assertThat(big.grpcStatus()).isEqualTo(String.valueOf(Status.Code.RESOURCE_EXHAUSTED.value()));
    assertThat(big.grpcMessage()).contains("a request message is 2147483647 bytes, over this node's limit of");

    GrpcPeers.RawAnswer cut = peers.raw(GrpcPeers.STREAM_PATH, Map.of(), List.of(three.getBuffer(0, n - 3)), true, 5_000);
    assertThat(cut.grpcStatus()).isEqualTo(invalid);
    assertThat(cut.grpcMessage()).contains("ended in the middle of a request message");

    GrpcPeers.RawAnswer garbage = peers.raw(GrpcPeers.STREAM_PATH, Map.of(),
        List.of(GrpcPeers.frame(false, new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 7, 7})), true, 5_000);
    assertThat(garbage.grpcStatus()).isEqualTo(invalid);
    assertThat(garbage.grpcMessage()).contains("not a valid walmesh.v1.WriteAheadLog/WriteToLogStream request message");

    GrpcPeers.RawAnswer flag = peers.raw(GrpcPeers.STREAM_PATH, Map.of(), List.of(GrpcPeers.frame(true, new byte[] {8, 1})),
        true, 5_000);
    assertThat(flag.grpcStatus()).isEqualTo(invalid);
    assertThat(flag.grpcMessage()).contains("compressed flag").contains("no grpc-encoding");

    GrpcPeers.RawAnswer none = peers.raw(GrpcPeers.STREAM_PATH, Map.of(), List.of(), true, 5_000);
    assertThat(none.grpcStatus()).as("a stream of no requests ends OK").isEqualTo("0");
    assertThat(none.streamAnswers()).isEmpty();
    assertGoodWriteIsDelivered("raw-stream");
  }

  @Test
  void refusalsNameTheLimitWithoutEchoingTheInputAndReadWellInEveryClient() {
    create(admin, namespace("echo", sink.url("/apply")));
    String huge = "n".repeat(100_000);
    GrpcPeers.JavaAnswer longName = peers.write(request(huge, "x").build(), false);
    assertThat(longName.code()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(longName.description()).contains("(100000 chars)").hasSizeLessThan(400);

    GrpcPeers.JavaAnswer longTarget = peers.write(request("echo", "x")
        .setTarget(Target.newBuilder().setName(huge)).build(), false);
    assertThat(longTarget.code()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(longTarget.description()).contains("target.name").hasSizeLessThan(400);

    // the message on the wire is encoded as the gRPC spec says: printable ASCII stays as it is
    byte[] unknown = request("no-such-ns", "x").build().toByteArray();
    GrpcPeers.RawAnswer raw = peers.raw(Map.of(), GrpcPeers.frame(false, unknown), true, 5_000);
    assertThat(raw.grpcStatus()).isEqualTo(String.valueOf(Status.Code.NOT_FOUND.value()));
    assertThat(raw.grpcMessage()).contains("POST /v1/namespaces").contains("namespace \"no-such-ns\" does not exist;")
        .doesNotContain("%2F").doesNotContain("%20").doesNotContain("%3B");
    assertGoodWriteIsDelivered("echo");
  }

  @Test
  void headersAndAttributesAreBounded() {
    create(admin, namespace("headers", sink.url("/apply")));
    WriteToLogRequest.Builder many = request("headers", "x");
    for (int i = 0; i < 100_000; i++) {
      many.putHeaders("h" + i, "v");
    }
    GrpcPeers.JavaAnswer tooMany = peers.write(many.build(), false);
    assertThat(tooMany.code()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(tooMany.description()).contains("headers has 100000 entries, over the limit of 64");

    GrpcPeers.JavaAnswer bigValue = peers.write(request("headers", "x").putHeaders("x-big", "v".repeat(8 << 20)).build(), false);
    assertThat(bigValue.code()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(bigValue.description()).contains("over the limit of 8192");

    GrpcPeers.JavaAnswer crlf = peers.write(request("headers", "x").putHeaders("x-a", "1\r\nContent-Length: 0").build(), false);
    assertThat(crlf.code()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(crlf.description()).contains("CR, LF or NUL");

    GrpcPeers.JavaAnswer badName = peers.write(request("headers", "x").putHeaders("bad name:", "1").build(), false);
    assertThat(badName.code()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(badName.description()).contains("not an HTTP token");

    assertThat(sink.received()).isEmpty();
    assertGoodWriteIsDelivered("headers");
  }

  @Test
  void timeValuesAreBoundedSoNoEntryPoisonsItsKey() {
    String ns = "times";
    create(admin, namespace(ns, sink.url("/apply")).put("ordering", "per-key"));
    long year2100 = 4_102_444_800_000L;
    GrpcPeers.JavaAnswer farDue = peers.write(request(ns, "x").setKey("k")
        .setLifecycle(Lifecycle.newBuilder().setDeliverAtMs(year2100)).build(), false);
    assertThat(farDue.code()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(farDue.description()).contains("lifecycle.deliver_at_ms must be at most ten years");

    GrpcPeers.JavaAnswer futureWrite = peers.write(request(ns, "x").setKey("k").setIdempotencyKey("idem")
        .setLifecycle(Lifecycle.newBuilder().setWriteTimeMs(year2100)).build(), false);
    assertThat(futureWrite.code()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(futureWrite.description()).contains("lifecycle.write_time_ms").contains("2100-01-01T00:00:00Z")
        .contains("ahead of this node's clock");

    // the key and the idempotency key are not poisoned: a normal write with both is stored and delivered
    GrpcPeers.JavaAnswer normal = peers.write(request(ns, "after").setKey("k").setIdempotencyKey("idem").build(), false);
    assertThat(normal.response().getDurable()).isEqualTo(Trilean.SUCCESS);
    await().atMost(Duration.ofSeconds(10)).until(() -> sink.deliveredIds().contains(normal.response().getEntryId()));
  }

  @Test
  void deletingANamespaceWhileWritersRunNeverDropsAnAcknowledgedEntry() throws Exception {
    create(admin, namespace("deleted", sink.url("/apply")));
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService writers = Executors.newFixedThreadPool(8);
    List<Future<?>> running = new ArrayList<>();
    for (int w = 0; w < 8; w++) {
      int writer = w;
      running.add(writers.submit(() -> {
        for (int i = 0; !stop.get(); i++) {
          GrpcPeers.JavaAnswer answer = peers.write(request("deleted", "w" + writer + "-" + i).build(), false);
          if (answer.code() == Status.Code.OK && answer.response().getDurable() == Trilean.SUCCESS) {
            acknowledged.add(answer.response().getEntryId());
          }
        }
      }));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> acknowledged.size() >= 50);
    int refused = 0;
    AdminHttp.Response deleted = null;
    long deadline = System.currentTimeMillis() + 20_000;
    while (System.currentTimeMillis() < deadline) {
      AdminHttp.Response response = admin.call("DELETE", "/v1/namespaces/deleted", null);
      if (response.status() == 409) {
        refused++;
        assertThat(response.text()).contains("deleting it would drop them");
        if (refused == 30) {
          stop.set(true); // let the writers stop so the namespace drains and the delete goes through
        }
        continue;
      }
      deleted = response;
      break;
    }
    stop.set(true);
    for (Future<?> f : running) {
      f.get();
    }
    writers.shutdown();
    assertThat(deleted).as("the delete went through once the namespace drained").isNotNull();
    assertThat(deleted.status()).as(deleted.text()).isIn(200, 204);
    assertThat(acknowledged).isNotEmpty();
    // every entry acknowledged SUCCESS was delivered before the namespace went away
    assertThat(sink.deliveredIds()).containsAll(acknowledged);
    assertThat(peers.write(request("deleted", "late").build(), false).code()).isEqualTo(Status.Code.NOT_FOUND);
  }
}
