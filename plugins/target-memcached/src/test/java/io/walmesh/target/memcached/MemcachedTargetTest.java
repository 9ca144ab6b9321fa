package io.walmesh.target.memcached;

import static org.assertj.core.api.Assertions.assertThat;
import org.awaitility.Awaitility;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.target.Target;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What a cache reader sees after set, delete and touch entries: plain values, flags and expiry. */
class MemcachedTargetTest extends MemcachedTestSupport {

  @Test
  void setStoresThePlainValueAndDeleteRemovesIt() {
    deliver(delivery("", T0, set("user:1", "alice")));
    assertThat(get("user:1")).isEqualTo("alice");
    assertThat(plain.item("user:1").flags()).isZero();

    deliver(delivery("", T0 + 1, delete("user:1")));
    assertThat(get("user:1")).isNull();
  }

  @Test
  void theKeyDefaultsToTheEntrysKeyAndTheKeyPrefixIsPrepended() {
    deliver(delivery("user:2", T0, new JsonObject().put("op", "set").put("value", "bob")));
    assertThat(get("user:2")).isEqualTo("bob");

    Target prefixed = newTarget(config().put("key-prefix", "app1:"));
    try {
      await(prefixed.deliver(delivery("user:3", T0, new JsonObject().put("op", "set").put("value", "carol"))));
    } finally {
      await(prefixed.close());
    }
    assertThat(get("app1:user:3")).isEqualTo("carol");
    assertThat(get("user:3")).isNull();
  }

  @Test
  void aJsonValueIsStoredAsJsonTextWithTheGivenFlags() {
    deliver(delivery("", T0, new JsonObject().put("op", "set").put("key", "doc:1").put("flags", 32)
        .put("value", new JsonObject().put("name", "dora").put("tags", new JsonArray().add("a")))));

    assertThat(plain.item("doc:1")).isEqualTo(new PlainMemcached.Value("{\"name\":\"dora\",\"tags\":[\"a\"]}", 32));
  }

  @Test
  void aSetsTtlIsHonoured() {
    // memcached's clock ticks once a second, so a TTL of 1 s may already be over when read back: use 3 s
    deliver(delivery("", T0, set("session:1", "s").put("ttl-s", 3)));
    assertThat(get("session:1")).isEqualTo("s");

    Awaitility.await().atMost(Duration.ofSeconds(8)).until(() -> get("session:1") == null);
  }

  @Test
  void touchGivesTheValueANewTtl() {
    deliver(delivery("", T0, set("session:2", "long").put("ttl-s", 3_600)));
    deliver(delivery("", T0 + 1, touch("session:2", 1)));
    assertThat(get("session:2")).isEqualTo("long");
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> get("session:2") == null);

    // a TTL of 2 s (not 1: memcached's clock ticks once a second, so 1 s may be over before the touch)
    deliver(delivery("", T0, set("session:3", "short").put("ttl-s", 2)));
    deliver(delivery("", T0 + 1, touch("session:3", 3_600)));
    // 3.5 s is well past the original expiry
    Awaitility.await().pollDelay(Duration.ofMillis(3_500)).atMost(Duration.ofSeconds(5))
        .until(() -> "short".equals(get("session:3")));
  }

  @Test
  void touchOfAnAbsentKeyIsANoOp() {
    deliver(delivery("", T0, touch("nothing:1", 60)));
    assertThat(get("nothing:1")).isNull();
  }

  @Test
  void readersSeeTheValueOnlyTheVersionLivesInItsOwnKey() {
    deliver(delivery("", T0, set("user:4", "dave")));

    assertThat(get("user:4")).isEqualTo("dave");
    assertThat(get("user:4:walmesh-version")).startsWith(T0 + " s entry-");
  }

  @Test
  void aDeliveryCompletesOnTheCallersContext() throws Exception {
    Context caller = vertx.getOrCreateContext();
    CompletableFuture<Boolean> onCaller = new CompletableFuture<>();
    caller.runOnContext(v -> target.deliver(delivery("", T0, set("ctx:1", "v")))
        .onComplete(ar -> onCaller.complete(ar.succeeded() && Vertx.currentContext() == caller)));

    assertThat(onCaller.get(15, TimeUnit.SECONDS)).isTrue();
  }
}
