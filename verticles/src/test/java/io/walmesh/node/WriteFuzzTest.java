package io.walmesh.node;

import static io.walmesh.node.TestNodes.create;
import static io.walmesh.node.TestNodes.namespace;
import static io.walmesh.node.TestNodes.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Status;
import io.vertx.core.buffer.Buffer;
import io.walmesh.protocol.v1.Lifecycle;
import io.walmesh.protocol.v1.Target;
import io.walmesh.protocol.v1.Trilean;
import io.walmesh.protocol.v1.WriteToLogRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Issue #13's fuzz test: thousands of random and mutated WriteToLog requests (through grpc-java) and
 * raw frames (through a raw HTTP/2 client) against a running node. Seeded: a failure names its seed
 * and iteration, and {@code -Dwalmesh.fuzz.seed=N} reproduces it. Every call must get a gRPC status
 * promptly, no invalid request may be answered SUCCESS, every entry acknowledged SUCCESS and due
 * during the test must be delivered, and the node must keep serving.
 */
class WriteFuzzTest extends SingleNodeTest {
  private static final long SEED = Long.getLong("walmesh.fuzz.seed", 20261201L);
  private static final int REQUESTS = Integer.getInteger("walmesh.fuzz.requests", 2000);
  private static final int FRAMES = Integer.getInteger("walmesh.fuzz.frames", 1000);
  private static final long TEN_YEARS_MS = 10L * 365 * 86_400_000L;
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  /** Statuses that would mean the node did not handle the call: no answer, a crash, a lost connection. */
  private static final Set<Status.Code> BROKEN = EnumSet.of(Status.Code.DEADLINE_EXCEEDED, Status.Code.UNKNOWN,
      Status.Code.INTERNAL, Status.Code.UNAVAILABLE, Status.Code.CANCELLED);

  private static String randomString(Random random, int maxLength) {
    int length = random.nextInt(maxLength + 1);
    StringBuilder out = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      switch (random.nextInt(6)) {
        case 0 -> out.append((char) random.nextInt(0x20)); // control characters, CR and LF among them
        case 1 -> out.append((char) (0x80 + random.nextInt(0x700))); // non-ASCII
        default -> out.append((char) ('a' + random.nextInt(26)));
      }
    }
    return out.toString();
  }

  private static long pick(Random random, long... values) {
    return values[random.nextInt(values.length)];
  }

  private static WriteToLogRequest randomRequest(Random random, long now) {
    WriteToLogRequest.Builder request = request("fuzz", "p");
    switch (random.nextInt(8)) {
      case 0 -> request.setNamespace(randomString(random, 80));
      case 1 -> request.setNamespace("no-such-namespace");
      case 2 -> request.setNamespace("f".repeat(random.nextInt(5000)));
      default -> { }
    }
    byte[] payload = new byte[random.nextInt(4096)];
    random.nextBytes(payload);
    request.setPayload(ByteString.copyFrom(payload));
    if (random.nextBoolean()) {
      request.setKey(random.nextInt(10) == 0 ? "k".repeat(4000 + random.nextInt(200)) : randomString(random, 20));
    }
    if (random.nextInt(4) == 0) {
      request.setIdempotencyKey(randomString(random, 30));
    }
    int headers = random.nextInt(10) == 0 ? 60 + random.nextInt(10) : random.nextInt(4);
    for (int i = 0; i < headers; i++) {
      request.putHeaders(random.nextInt(3) == 0 ? randomString(random, 12) : "x-h" + i, randomString(random, 40));
    }
    switch (random.nextInt(6)) {
      case 0 -> request.setTarget(Target.newBuilder().setName("web").putAttributes(randomString(random, 8), randomString(random, 8)));
      case 1 -> request.setTarget(Target.newBuilder().setName(randomString(random, 20)));
      case 2 -> request.setTarget(Target.newBuilder().putAttributes("a", "b"));
      default -> { }
    }
    Lifecycle.Builder lifecycle = Lifecycle.newBuilder();
    if (random.nextBoolean()) {
      lifecycle.setDelayMs(pick(random, 0, 100, -1, TEN_YEARS_MS + 1, Long.MAX_VALUE, 50));
    }
    if (random.nextInt(3) == 0) {
      lifecycle.setDeliverAtMs(pick(random, 0, now + 200, -5, 4_102_444_800_000L, Long.MAX_VALUE, now + TEN_YEARS_MS + 86_400_000L));
    }
    if (random.nextInt(3) == 0) {
      lifecycle.setWriteTimeMs(pick(random, 0, now - 86_400_000L, now + 3_600_000L, -1, Long.MAX_VALUE, now));
    }
    request.setLifecycle(lifecycle);
    return request.build();
  }

  /** What the API contract says must be refused (docs/limits.md); null when the request is valid. */
  private static String whyInvalid(WriteToLogRequest r, long now) {
    if (!r.getNamespace().equals("fuzz")) {
      return "namespace";
    }
    if (r.getKey().getBytes(StandardCharsets.UTF_8).length > 4096) {
      return "key length";
    }
    if (r.getHeadersCount() > 64) {
      return "header count";
    }
    for (Map.Entry<String, String> h : r.getHeadersMap().entrySet()) {
      if (!TOKEN.matcher(h.getKey()).matches() || h.getValue().chars().anyMatch(c -> c == '\r' || c == '\n' || c == 0)) {
        return "header " + h.getKey();
      }
    }
    if (r.hasTarget() && !r.getTarget().getName().isEmpty() && !r.getTarget().getName().equals("web")) {
      return "target name";
    }
    if (r.hasTarget() && r.getTarget().getName().isEmpty() && r.getTarget().getAttributesCount() > 0) {
      return "attributes without target";
    }
    for (Map.Entry<String, String> a : r.getTarget().getAttributesMap().entrySet()) {
      if (a.getKey().chars().anyMatch(c -> c < 0x20 || c == 0x7f) || a.getValue().chars().anyMatch(c -> c == '\r' || c == '\n' || c == 0)) {
        return "attribute control characters";
      }
    }
    Lifecycle l = r.getLifecycle();
    if (l.getDelayMs() < 0 || l.getDelayMs() > TEN_YEARS_MS || (l.getDelayMs() > 0 && l.getDeliverAtMs() > 0)
        || l.getDeliverAtMs() < 0 || l.getDeliverAtMs() > now + TEN_YEARS_MS || l.getWriteTimeMs() < 0
        || l.getWriteTimeMs() > now + 5 * 60_000L) {
      return "lifecycle " + l;
    }
    return null;
  }

  private static long dueAt(WriteToLogRequest r, long now) {
    Lifecycle l = r.getLifecycle();
    if (l.getDeliverAtMs() > 0) {
      return l.getDeliverAtMs();
    }
    return (l.getWriteTimeMs() > 0 ? l.getWriteTimeMs() : now) + l.getDelayMs();
  }

  @Test
  void randomAndMutatedRequestsEachGetAStatusAndNoInvalidOneIsStored() {
    create(admin, namespace("fuzz", sink.url("/apply")));
    Random random = new Random(SEED);
    Set<String> dueSoon = new HashSet<>();
    int stored = 0;
    for (int i = 0; i < REQUESTS; i++) {
      long now = System.currentTimeMillis();
      WriteToLogRequest request = randomRequest(random, now);
      GrpcPeers.JavaAnswer answer = peers.write(request, random.nextInt(4) == 0);
      String where = "seed " + SEED + ", request " + i + ": " + answer.code() + " " + answer.description();
      assertThat(answer.code()).as(where).isNotIn(BROKEN);
      String invalid = whyInvalid(request, now);
      boolean success = answer.code() == Status.Code.OK && answer.response().getDurable() == Trilean.SUCCESS;
      if (invalid != null) {
        assertThat(success).as("SUCCESS for an invalid request (" + invalid + "), " + where).isFalse();
      } else if (success) {
        stored++;
        if (dueAt(request, now) <= now + 2_000 && request.getIdempotencyKey().isEmpty()) {
          dueSoon.add(answer.response().getEntryId());
        }
      }
    }
    assertThat(stored).as("the fuzzer also sends valid requests").isGreaterThan(REQUESTS / 20);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(sink.deliveredIds()).containsAll(dueSoon));
    GrpcPeers.JavaAnswer good = peers.write(request("fuzz", "good").build(), false);
    assertThat(good.response().getDurable()).isEqualTo(Trilean.SUCCESS);
    assertThat(admin.get("/v1/health").text()).contains("\"UP\"");
  }

  @Test
  void mutatedRawFramesEachGetAGrpcStatus() {
    create(admin, namespace("fuzzraw", sink.url("/apply")));
    Random random = new Random(SEED + 1);
    byte[] valid = request("fuzzraw", "hello").setKey("k").putHeaders("x-a", "b").build().toByteArray();
    for (int i = 0; i < FRAMES; i++) {
      byte[] message = mutate(random, valid);
      boolean compressed = random.nextInt(10) == 0;
      Buffer body = Buffer.buffer().appendByte((byte) (compressed ? 1 : 0));
      int announced = random.nextInt(8) == 0 ? message.length + random.nextInt(100) - 50 : message.length;
      body.appendInt(announced).appendBytes(message);
      Map<String, String> headers = random.nextInt(10) == 0 ? Map.of("grpc-encoding", random.nextBoolean() ? "gzip" : "lz4") : Map.of();
      GrpcPeers.RawAnswer answer = peers.raw(headers, body, true, 5_000);
      String where = "seed " + (SEED + 1) + ", frame " + i + ": " + answer;
      assertThat(answer.grpcStatus()).as(where).isNotNull();
      if ("0".equals(answer.grpcStatus())) {
        // answered OK: the bytes must really have been one valid request, read exactly as framed
        assertThat(compressed).as(where).isFalse();
        assertThat(announced).as(where).isLessThanOrEqualTo(message.length);
        try {
          WriteToLogRequest parsed = WriteToLogRequest.parseFrom(java.util.Arrays.copyOf(message, Math.max(0, announced)));
          assertThat(parsed.getNamespace()).as(where).isEqualTo("fuzzraw");
        } catch (InvalidProtocolBufferException e) {
          throw new AssertionError("OK for bytes that are not a WriteToLogRequest, " + where, e);
        }
      }
    }
    GrpcPeers.JavaAnswer good = peers.write(request("fuzzraw", "good").build(), false);
    assertThat(good.response().getDurable()).isEqualTo(Trilean.SUCCESS);
  }

  private static byte[] mutate(Random random, byte[] valid) {
    switch (random.nextInt(5)) {
      case 0 -> { // bit flips
        byte[] out = valid.clone();
        for (int n = 1 + random.nextInt(8); n > 0; n--) {
          out[random.nextInt(out.length)] ^= (byte) (1 << random.nextInt(8));
        }
        return out;
      }
      case 1 -> { // truncated
        return java.util.Arrays.copyOf(valid, random.nextInt(valid.length));
      }
      case 2 -> { // random bytes
        byte[] out = new byte[random.nextInt(512)];
        random.nextBytes(out);
        return out;
      }
      case 3 -> { // random bytes inserted
        byte[] extra = new byte[1 + random.nextInt(16)];
        random.nextBytes(extra);
        int at = random.nextInt(valid.length + 1);
        byte[] out = new byte[valid.length + extra.length];
        System.arraycopy(valid, 0, out, 0, at);
        System.arraycopy(extra, 0, out, at, extra.length);
        System.arraycopy(valid, at, out, at + extra.length, valid.length - at);
        return out;
      }
      default -> {
        return valid;
      }
    }
  }
}
