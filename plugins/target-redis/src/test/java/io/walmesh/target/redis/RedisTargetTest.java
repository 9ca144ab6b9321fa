package io.walmesh.target.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.target.DeliveryException;
import io.walmesh.spi.target.DeliveryException.Kind;
import io.walmesh.spi.target.Target;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each command reaches a real Redis; bad payloads are permanent, an outage is retryable. */
class RedisTargetTest extends RedisTestSupport {

  @Test
  void setStoresTheValueWithItsTtl() {
    deliver(delivery("", T0, set("user:1", "alice").put("ttl-ms", 60_000)));
    deliver(delivery("", T0, set("user:2", "bob")));

    assertThat(get("user:1")).isEqualTo("alice");
    assertThat(pttl("user:1")).isBetween(1L, 60_000L);
    assertThat(get("user:2")).isEqualTo("bob");
    assertThat(pttl("user:2")).isEqualTo(-1);
  }

  @Test
  void theEntryKeyIsUsedWhenThePayloadNamesNoneAndTheKeyPrefixApplies() {
    Target prefixed = newTarget(new JsonObject().put("endpoint", redis.endpoint() + "/0").put("key-prefix", "eu:"));
    try {
      await(prefixed.deliver(delivery("user:3", T0, new JsonObject().put("op", "set").put("value", 42))));
    } finally {
      await(prefixed.close());
    }
    assertThat(get("eu:user:3")).isEqualTo("42");
    assertThat(exists("user:3")).isFalse();
  }

  @Test
  void deleteRemovesTheKeyAndKeepsATombstoneForTheRetention() {
    deliver(delivery("", T0, set("user:1", "alice")));
    deliver(delivery("", T0 + 1, delete("user:1")));

    assertThat(exists("user:1")).isFalse();
    long tombstoneTtl = pttl("user:1" + RedisCommand.VERSION_SUFFIX);
    assertThat(tombstoneTtl).isBetween(RedisTargetOptions.DEFAULT_TOMBSTONE_RETENTION_MS - 5_000,
        RedisTargetOptions.DEFAULT_TOMBSTONE_RETENTION_MS);
  }

  @Test
  void expireGivesAnExistingKeyATtlAndIgnoresAnAbsentOne() {
    deliver(delivery("", T0, set("session:1", "s")));
    deliver(delivery("", T0 + 1, new JsonObject().put("op", "expire").put("key", "session:1").put("ttl-ms", 30_000)));
    deliver(delivery("", T0 + 1, new JsonObject().put("op", "expire").put("key", "session:absent").put("ttl-ms", 30_000)));

    assertThat(get("session:1")).isEqualTo("s");
    assertThat(pttl("session:1")).isBetween(1L, 30_000L);
    // the version record outlives the key by the tombstone retention
    assertThat(pttl("session:1" + RedisCommand.VERSION_SUFFIX)).isGreaterThan(30_000L);
    assertThat(exists("session:absent")).isFalse();
    assertThat(exists("session:absent" + RedisCommand.VERSION_SUFFIX)).isFalse();
  }

  @Test
  void expireEndsTheKey() {
    deliver(delivery("", T0, set("short", "lived")));
    deliver(delivery("", T0 + 1, new JsonObject().put("op", "expire").put("key", "short").put("ttl-ms", 50)));
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).pollInterval(java.time.Duration.ofMillis(20))
        .until(() -> !exists("short"));
    assertThat(exists("short")).isFalse();
  }

  @Test
  void hsetAndHdelChangeHashFields() {
    deliver(delivery("", T0, new JsonObject().put("op", "hset").put("key", "profile:1")
        .put("fields", new JsonObject().put("name", "alice").put("age", 31).put("city", "Lyon"))));
    assertThat(hgetall("profile:1")).isEqualTo(Map.of("name", "alice", "age", "31", "city", "Lyon"));

    deliver(delivery("", T0 + 1, new JsonObject().put("op", "hdel").put("key", "profile:1")
        .put("fields", new JsonArray().add("age").add("city"))));
    assertThat(hgetall("profile:1")).isEqualTo(Map.of("name", "alice"));

    deliver(delivery("", T0 + 2, new JsonObject().put("op", "hdel").put("key", "profile:1")
        .put("fields", new JsonArray().add("name"))));
    assertThat(exists("profile:1")).isFalse();
  }

  @Test
  void badPayloadsArePermanentAndSayWhatIsWrong() {
    assertPermanent(Buffer.buffer("not json"), "is not a JSON object");
    assertPermanent(Buffer.buffer("[1,2]"), "is not a JSON object");
    assertPermanent(new JsonObject().put("key", "k").toBuffer(), "needs \"op\"");
    assertPermanent(new JsonObject().put("op", "incr").put("key", "k").toBuffer(), "unknown op \"incr\"");
    assertPermanent(new JsonObject().put("op", "set").put("key", "k").toBuffer(), "op set needs \"value\"");
    assertPermanent(set("k", "v").put("ttl", 5).toBuffer(), "field \"ttl\" is not allowed for op set");
    assertPermanent(set("k", "v").put("ttl-ms", -5).toBuffer(), "\"ttl-ms\" must be a positive integer");
    assertPermanent(set("k", "v").put("ttl-ms", "60s").toBuffer(), "\"ttl-ms\" must be a positive integer");
    assertPermanent(new JsonObject().put("op", "expire").put("key", "k").toBuffer(), "op expire needs \"ttl-ms\"");
    assertPermanent(new JsonObject().put("op", "hset").put("key", "k").put("fields", new JsonObject()).toBuffer(),
        "op hset needs \"fields\"");
    assertPermanent(new JsonObject().put("op", "hdel").put("key", "k").put("fields", new JsonArray().add(1)).toBuffer(),
        "\"fields[0]\" must be a non-empty string");
    assertPermanent(new JsonObject().put("op", "set").put("value", "v").toBuffer(), "names no \"key\"");
    assertPermanent(set("k" + RedisCommand.VERSION_SUFFIX, "v").toBuffer(), "reserved suffix");
    assertThat(exists("k")).isFalse();
  }

  @Test
  void aHashCommandOnAStringKeyIsPermanentAndChangesNothing() {
    deliver(delivery("", T0, set("plain", "text")));
    DeliveryException e = deliveryFails(delivery("", T0 + 1, new JsonObject().put("op", "hset").put("key", "plain")
        .put("fields", new JsonObject().put("f", "v"))));

    assertThat(e.kind()).isEqualTo(Kind.PERMANENT);
    assertThat(e.getMessage()).contains("WRONGTYPE").contains("\"plain\"");
    assertThat(get("plain")).isEqualTo("text");
  }

  @Test
  void anOutageIsRetryableAndDeliveryResumesWhenRedisIsBack() {
    deliver(delivery("", T0, set("before", "outage")));
    redis.stop();
    try {
      DeliveryException e = deliveryFails(delivery("", T0 + 1, set("during", "outage")));
      assertThat(e.kind()).isEqualTo(Kind.RETRYABLE);
      assertThat(e.getMessage()).contains("redis target cache (redis://127.0.0.1:" + redis.port() + ")");
    } finally {
      redis.start();
    }
    // the restarted server is empty and knows no script: the target reconnects and re-sends it
    deliver(delivery("", T0 + 2, set("during", "outage")));
    assertThat(get("during")).isEqualTo("outage");
  }

  @Test
  void anUnreachableRedisIsRetryableWithinTheTimeout() {
    Target unreachable = newTarget(new JsonObject().put("endpoint", "redis://127.0.0.1:1").put("timeout-ms", 500));
    try {
      long start = System.nanoTime();
      DeliveryException e = failure(unreachable.deliver(delivery("", T0, set("k", "v"))));
      assertThat(e.kind()).isEqualTo(Kind.RETRYABLE);
      assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(5_000);
    } finally {
      await(unreachable.close());
    }
  }

  private void assertPermanent(Buffer payload, String expected) {
    DeliveryException e = deliveryFails(delivery("", T0, payload));
    assertThat(e.kind()).as(payload.toString()).isEqualTo(Kind.PERMANENT);
    assertThat(e.getMessage()).as(payload.toString()).contains(expected);
  }
}
