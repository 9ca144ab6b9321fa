package io.walmesh.node;

import static io.walmesh.node.TestNodes.await;
import static io.walmesh.node.TestNodes.request;
import static io.walmesh.node.TestNodes.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.walmesh.testkit.EmbeddedRedis;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A namespace delivering to a real Redis: in key order, and through a Redis outage. */
class RedisNamespaceTest extends SingleNodeTest {
  static EmbeddedRedis redis;
  static Redis client;

  @BeforeAll
  static void startRedis() {
    redis = EmbeddedRedis.startNew();
    closeAfterNode.add(redis);
    client = Redis.createClient(clientVertx, redis.endpoint());
  }

  @AfterAll
  static void closeClient() {
    client.close();
  }

  static String get(String key) {
    Response value = await(client.send(Request.cmd(Command.GET).arg(key)));
    return value == null ? null : value.toString();
  }

  static JsonObject namespace(String name) {
    return new JsonObject().put("name", name).put("ordering", "per-key")
        .put("targets", new JsonArray().add(new JsonObject().put("name", "cache").put("type", "redis")
            .put("config", new JsonObject().put("endpoint", redis.endpoint()).put("timeout-ms", 1_000))))
        .put("retry", new JsonObject().put("max-attempts", 1000).put("initial-backoff-ms", 50).put("max-backoff-ms", 500))
        .put("consumer", new JsonObject().put("poll-interval-ms", 20));
  }

  static void set(String namespace, String key, String value) {
    var result = write(grpc, request(namespace, new JsonObject().put("op", "set").put("value", value).encode()).setKey(key).build());
    assertThat(result.response().getDurable().name()).as(result.statusMessage()).isEqualTo("SUCCESS");
  }

  @Test
  void setsAndDeletesReachRedisInKeyOrder() {
    TestNodes.create(admin, namespace("cache"));
    for (int i = 1; i <= 30; i++) {
      set("cache", "user:1", "v" + i);
      set("cache", "user:2", "w" + i);
    }
    write(grpc, request("cache", "{\"op\":\"delete\"}").setKey("user:2").build());

    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
      assertThat(get("user:1")).isEqualTo("v30");
      assertThat(get("user:2")).isNull();
    });
    // applied, then acknowledged: the acknowledgement follows the target's answer by a moment
    await().atMost(Duration.ofSeconds(10)).until(
        () -> admin.get("/v1/namespaces/cache").body().getJsonObject("stats").getLong("pending") == 0);
  }

  @Test
  void entriesAckedWhileRedisIsDownAreAppliedWhenItIsBack() {
    TestNodes.create(admin, namespace("outage"));
    redis.stop();
    try {
      for (int i = 1; i <= 10; i++) {
        set("outage", "k" + i, "during-outage-" + i);
      }
      await().atMost(Duration.ofSeconds(10)).until(() ->
          admin.get("/v1/namespaces/outage").body().getJsonObject("stats").getLong("pending") == 10);
    } finally {
      redis.start();
    }
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      for (int i = 1; i <= 10; i++) {
        assertThat(get("k" + i)).isEqualTo("during-outage-" + i);
      }
    });
    assertThat(admin.get("/v1/namespaces/outage/dlq").body().getJsonArray("entries")).isEmpty();
  }
}
