package io.walmesh.target.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.target.Delivery;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Redelivery and out-of-order delivery, as a WAL consumer produces them: the newest write time
 * wins, a redelivered entry is a same-value rewrite, a delete's tombstone stops a late set.
 */
class RedisTargetVersioningTest extends RedisTestSupport {

  @Test
  void anOlderEntryDeliveredLateDoesNotOverwriteANewerOne() {
    Delivery older = delivery("", T0, set("user:1", "v1"));
    deliver(delivery("", T0 + 10, set("user:1", "v2")));
    deliver(older);

    assertThat(get("user:1")).isEqualTo("v2");
  }

  @Test
  void aSetOlderThanADeleteDoesNotResurrectTheKey() {
    deliver(delivery("", T0, set("user:1", "v1")));
    deliver(delivery("", T0 + 20, delete("user:1")));
    deliver(delivery("", T0 + 10, set("user:1", "late")));
    deliver(delivery("", T0 + 10, new JsonObject().put("op", "hset").put("key", "user:1")
        .put("fields", new JsonObject().put("f", "late"))));

    assertThat(exists("user:1")).isFalse();
  }

  @Test
  void aDeleteOfANeverWrittenKeyStillStopsAnOlderSet() {
    deliver(delivery("", T0 + 20, delete("user:9")));
    deliver(delivery("", T0 + 10, set("user:9", "late")));

    assertThat(exists("user:9")).isFalse();
  }

  @Test
  void theSameEntryDeliveredTwiceLeavesOneResult() {
    Delivery set = delivery("", T0, set("user:1", "alice").put("ttl-ms", 60_000));
    deliver(set);
    deliver(again(set));
    assertThat(get("user:1")).isEqualTo("alice");
    assertThat(pttl("user:1")).isBetween(1L, 60_000L);

    Delivery hset = delivery("", T0, new JsonObject().put("op", "hset").put("key", "profile:1")
        .put("fields", new JsonObject().put("visits", "1")));
    deliver(hset);
    deliver(again(hset));
    assertThat(hgetall("profile:1")).isEqualTo(Map.of("visits", "1"));

    Delivery delete = delivery("", T0 + 1, delete("user:1"));
    deliver(delete);
    deliver(again(delete));
    assertThat(exists("user:1")).isFalse();
  }

  @Test
  void aRedeliveredOldEntryAfterNewerOnesIsANoOp() {
    Delivery first = delivery("", T0, set("user:1", "v1"));
    deliver(first);
    deliver(delivery("", T0 + 1, delete("user:1")));
    deliver(delivery("", T0 + 2, set("user:1", "v3")));
    Delivery hsetOld = delivery("", T0, new JsonObject().put("op", "hset").put("key", "profile:1")
        .put("fields", new JsonObject().put("f", "1")));
    deliver(hsetOld);
    deliver(delivery("", T0 + 1, new JsonObject().put("op", "hdel").put("key", "profile:1")
        .put("fields", new JsonArray().add("f"))));

    deliver(again(first));
    deliver(again(hsetOld));

    assertThat(get("user:1")).isEqualTo("v3");
    assertThat(exists("profile:1")).isFalse();
  }

  @Test
  void hashFieldsAreVersionedOneByOne() {
    deliver(delivery("", T0 + 20, new JsonObject().put("op", "hset").put("key", "profile:1")
        .put("fields", new JsonObject().put("name", "new"))));
    // older, but about another field: nothing newer competes with it, so it applies
    deliver(delivery("", T0 + 10, new JsonObject().put("op", "hset").put("key", "profile:1")
        .put("fields", new JsonObject().put("name", "old").put("city", "Lyon"))));

    assertThat(hgetall("profile:1")).isEqualTo(Map.of("name", "new", "city", "Lyon"));
  }

  @Test
  void aLateDeleteKeepsHashFieldsWrittenAfterIt() {
    deliver(delivery("", T0, new JsonObject().put("op", "hset").put("key", "profile:1")
        .put("fields", new JsonObject().put("a", "1").put("b", "1"))));
    deliver(delivery("", T0 + 20, new JsonObject().put("op", "hset").put("key", "profile:1")
        .put("fields", new JsonObject().put("b", "2"))));
    deliver(delivery("", T0 + 10, delete("profile:1")));

    assertThat(hgetall("profile:1")).isEqualTo(Map.of("b", "2"));
  }

  @Test
  void anOlderExpireDoesNotUndoANewerOneOrANewerSet() {
    deliver(delivery("", T0, set("session:1", "s")));
    deliver(delivery("", T0 + 20, new JsonObject().put("op", "expire").put("key", "session:1").put("ttl-ms", 10_000)));
    deliver(delivery("", T0 + 10, new JsonObject().put("op", "expire").put("key", "session:1").put("ttl-ms", 900_000)));
    assertThat(pttl("session:1")).isBetween(1L, 10_000L);

    deliver(delivery("", T0 + 30, set("session:1", "fresh")));
    deliver(delivery("", T0 + 25, new JsonObject().put("op", "expire").put("key", "session:1").put("ttl-ms", 10_000)));
    assertThat(get("session:1")).isEqualTo("fresh");
    assertThat(pttl("session:1")).isEqualTo(-1);
  }

  @Test
  void aSetOlderThanAnExpireKeepsTheExpiresDeadline() {
    deliver(delivery("", T0, set("session:1", "v1")));
    deliver(delivery("", T0 + 20, new JsonObject().put("op", "expire").put("key", "session:1").put("ttl-ms", 10_000)));
    deliver(delivery("", T0 + 10, set("session:1", "v2")));

    assertThat(get("session:1")).isEqualTo("v2");
    assertThat(pttl("session:1")).isBetween(1L, 10_000L);
  }

  @Test
  void aNewerWriteAfterADeleteRecreatesTheKeyForGood() {
    deliver(delivery("", T0, delete("user:1")));
    deliver(delivery("", T0 + 10, set("user:1", "back")));

    assertThat(get("user:1")).isEqualTo("back");
    // a live key without TTL keeps its version record as long as it lives
    assertThat(pttl("user:1" + RedisCommand.VERSION_SUFFIX)).isEqualTo(-1);
  }
}
