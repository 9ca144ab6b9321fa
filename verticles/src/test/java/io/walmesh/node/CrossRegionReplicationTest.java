package io.walmesh.node;

import static io.walmesh.node.TestNodes.await;
import static io.walmesh.node.TestNodes.request;
import static io.walmesh.node.TestNodes.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.walmesh.node.gateway.GrpcWriteClient;
import io.walmesh.testkit.EmbeddedRedis;
import io.walmesh.testkit.FreePorts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two meshes stand for two regions, each with its own cache (a Redis). As with EVCache, the
 * application in region A writes its own cache and hands each mutation to region A's walmesh,
 * whose namespace has one target per other region: region B's walmesh, which applies the mutation
 * to B's cache. In key order, and with nothing missing after B was down for a while.
 */
class CrossRegionReplicationTest {
  @TempDir
  Path dir;
  EmbeddedMesh regionA;
  EmbeddedMesh regionB;
  EmbeddedRedis cacheA;
  EmbeddedRedis cacheB;
  Vertx client;
  Redis redisA;
  Redis redisB;
  GrpcWriteClient grpcA;
  int grpcPortB;

  @BeforeEach
  void startRegions() {
    cacheA = EmbeddedRedis.startNew();
    cacheB = EmbeddedRedis.startNew();
    client = Vertx.vertx();
    redisA = Redis.createClient(client, cacheA.endpoint());
    redisB = Redis.createClient(client, cacheB.endpoint());
    regionA = new EmbeddedMesh(dir.resolve("us"), "region-us-" + System.nanoTime(), 1);
    regionB = new EmbeddedMesh(dir.resolve("eu"), "region-eu-" + System.nanoTime(), 1);
    grpcPortB = FreePorts.next();
    regionB.start("eu-1", 0, Set.of(), grpcPortB);
    regionA.start("us-1", 0, Set.of());
    grpcA = new GrpcWriteClient(client, "127.0.0.1", regionA.grpcPort("us-1"));

    // region B: the namespace applies what arrives to B's cache, in key order
    TestNodes.create(regionB.admin("eu-1"), namespace("profiles", new JsonArray().add(redisTarget("cache", cacheB))));
    // region A: one target per other region
    TestNodes.create(regionA.admin("us-1"), namespace("profiles", new JsonArray()
        .add(new JsonObject().put("name", "eu").put("type", "walmesh").put("config", new JsonObject()
            .put("endpoints", new JsonArray().add("127.0.0.1:" + grpcPortB)).put("timeout-ms", 2_000)))));
  }

  @AfterEach
  void stopRegions() {
    grpcA.close();
    regionA.close();
    regionB.close();
    redisA.close();
    redisB.close();
    await(client.close());
    cacheA.close();
    cacheB.close();
  }

  static JsonObject namespace(String name, JsonArray targets) {
    return new JsonObject().put("name", name).put("ordering", "per-key").put("targets", targets)
        .put("retry", new JsonObject().put("max-attempts", 10_000).put("initial-backoff-ms", 100).put("max-backoff-ms", 500))
        .put("consumer", new JsonObject().put("poll-interval-ms", 20));
  }

  static JsonObject redisTarget(String name, EmbeddedRedis redis) {
    return new JsonObject().put("name", name).put("type", "redis")
        .put("config", new JsonObject().put("endpoint", redis.endpoint()).put("timeout-ms", 1_000));
  }

  static String get(Redis redis, String key) {
    Response value = await(redis.send(Request.cmd(Command.GET).arg(key)));
    return value == null ? null : value.toString();
  }

  /** What the application in region A does: set its own cache, then log the mutation for the other regions. */
  void set(String key, String value) {
    await(redisA.send(Request.cmd(Command.SET).arg(key).arg(value)));
    var result = write(grpcA, request("profiles", new JsonObject().put("op", "set").put("value", value).encode())
        .setKey(key).build());
    assertThat(result.response().getDurable().name()).as(result.statusMessage()).isEqualTo("SUCCESS");
  }

  @Test
  void writesInRegionAReachRegionBsCacheInOrderAndBCatchesUpAfterAnOutage() {
    for (int i = 1; i <= 20; i++) {
      for (String user : new String[] {"user:1", "user:2", "user:3"}) {
        set(user, user + "-v" + i);
      }
    }
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      for (String user : new String[] {"user:1", "user:2", "user:3"}) {
        assertThat(get(redisA, user)).isEqualTo(user + "-v20");
        assertThat(get(redisB, user)).as("region B holds the last write of " + user).isEqualTo(user + "-v20");
      }
    });

    // region B goes down; region A keeps taking writes (SUCCESS) and they wait for B
    regionB.stop("eu-1");
    for (int i = 21; i <= 30; i++) {
      set("user:1", "user:1-v" + i);
      set("user:" + (100 + i), "new-" + i);
    }
    assertThat(get(redisB, "user:1")).isEqualTo("user:1-v20");
    JsonObject stats = regionA.admin("us-1").get("/v1/namespaces/profiles").body().getJsonObject("stats");
    assertThat(stats.getLong("pending")).as("entries wait in region A for region B").isEqualTo(20);

    // region B comes back where region A expects it and catches up, nothing missing
    regionB.start("eu-1", 0, Set.of(), grpcPortB);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(get(redisB, "user:1")).isEqualTo("user:1-v30");
      for (int i = 21; i <= 30; i++) {
        assertThat(get(redisB, "user:" + (100 + i))).isEqualTo("new-" + i);
      }
    });
    assertThat(regionA.admin("us-1").get("/v1/namespaces/profiles/dlq").body().getJsonArray("entries")).isEmpty();
    String metrics = regionA.admin("us-1").get("/metrics").text();
    assertThat(metrics).as("replication lag per region is a metric")
        .containsPattern("walmesh_delivered_age_seconds_count\\{namespace=\"profiles\",target=\"eu\"\\} [1-9]");
  }
}
