package io.walmesh.target.memcached;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.target.DeliveryException;
import io.walmesh.spi.target.Target;
import io.walmesh.testkit.Memcached;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** Bad entries are dead-lettered with a message naming the problem; an unreachable server is retried. */
class MemcachedTargetFailureTest extends MemcachedTestSupport {

  @Test
  void badPayloadsArePermanentAndSayWhatIsWrong() {
    assertPermanent(delivery("k", T0, Buffer.buffer("not json")), "payload is not a JSON object");
    assertPermanent(delivery("k", T0, new JsonObject().put("key", "k")), "payload needs \"op\"");
    assertPermanent(delivery("k", T0, new JsonObject().put("op", "incr")), "must be one of \"set\", \"delete\", \"touch\", got \"incr\"");
    assertPermanent(delivery("k", T0, new JsonObject().put("op", "set").put("key", "k")), "op set needs \"value\"");
    assertPermanent(delivery("k", T0, set("k", "v").put("tll-s", 5)), "unknown field \"tll-s\"");
    assertPermanent(delivery("k", T0, set("k", "v").put("ttl-s", -1)), "\"ttl-s\" must be an integer between 0 and");
    assertPermanent(delivery("k", T0, new JsonObject().put("op", "touch").put("key", "k")), "op touch needs \"ttl-s\"");
    assertPermanent(delivery("", T0, new JsonObject().put("op", "delete")), "no key");
    assertPermanent(delivery("", T0, set("a b", "v")), "contains a space");
    assertPermanent(delivery("", T0, set("a\nb", "v")), "control character 0xa");
    assertPermanent(delivery("", T0, set("k".repeat(240), "v")), "is too long");
    assertPermanent(delivery("", T0, set("big", "x".repeat(1_000_001))), "is 1000001 bytes; this target accepts at most 1000000 (max-value-bytes)");

    assertThat(get("k")).isNull();
  }

  @Test
  void aValueTheServerFindsTooLargeIsPermanent() {
    assumeTrue(memcached.kind() == Memcached.Kind.BINARY, "jmemcached has no item size limit");
    Target lax = newTarget(config().put("max-value-bytes", 4 * 1024 * 1024));
    try {
      DeliveryException e = failure(lax.deliver(delivery("", T0, set("big", "x".repeat(2_000_000)))));
      assertThat(e.kind()).isEqualTo(DeliveryException.Kind.PERMANENT);
      assertThat(e.getMessage()).contains("big").contains("SERVER_ERROR object too large");
      // the connection stays usable
      await(lax.deliver(delivery("", T0, set("small", "ok"))));
    } finally {
      await(lax.close());
    }
    assertThat(get("small")).isEqualTo("ok");
  }

  @Test
  void aStoppedServerIsRetryableAndTheEntryIsAppliedOnceItIsBack() {
    deliver(delivery("", T0, set("user:1", "before")));
    memcached.stop();
    try {
      DeliveryException down = deliveryFails(delivery("", T0 + 1, set("user:1", "during")));
      assertThat(down.kind()).isEqualTo(DeliveryException.Kind.RETRYABLE);
      assertThat(down.getMessage()).contains(memcached.server());
      // pooled connections notice the closed server one by one; once they all have, attempts fail to connect
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() -> {
        DeliveryException stillDown = deliveryFails(delivery("", T0 + 1, set("user:1", "during")));
        assertThat(stillDown.kind()).isEqualTo(DeliveryException.Kind.RETRYABLE);
        assertThat(stillDown.getMessage()).contains("cannot connect to memcached " + memcached.server());
      });
    } finally {
      memcached.start();
    }
    deliver(delivery("", T0 + 1, set("user:1", "after")));
    assertThat(get("user:1")).isEqualTo("after");
  }

  @Test
  void aServerThatDoesNotAnswerTimesOutRetryably() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Target stuck = newTarget(new JsonObject().put("servers", new JsonArray().add("127.0.0.1:" + silent.getLocalPort()))
          .put("timeout-ms", 300));
      try {
        DeliveryException e = failure(stuck.deliver(delivery("", T0, set("k", "v"))));
        assertThat(e.kind()).isEqualTo(DeliveryException.Kind.RETRYABLE);
        assertThat(e.getMessage()).contains("did not answer").contains("within 300 ms");
      } finally {
        await(stuck.close());
      }
    }
  }

  private void assertPermanent(io.walmesh.spi.target.Delivery delivery, String message) {
    DeliveryException e = deliveryFails(delivery);
    assertThat(e.kind()).as(e.getMessage()).isEqualTo(DeliveryException.Kind.PERMANENT);
    assertThat(e.getMessage()).contains(message);
  }
}
