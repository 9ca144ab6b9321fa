package io.walmesh.target.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;
import io.walmesh.spi.PluginContext;
import io.walmesh.spi.target.Delivery;
import io.walmesh.spi.target.DeliveryException;
import io.walmesh.spi.target.Target;
import io.walmesh.spi.target.TargetFactory;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import io.walmesh.testkit.TargetTests;
import io.walmesh.testkit.EmbeddedRedis;

/**
 * A real Vert.x, the shared embedded Redis, a {@code redis} target created through the SPI as the
 * node would (ServiceLoader, validate, create), and a plain Redis client to look at the result.
 */
abstract class RedisTestSupport {
  static final long T0 = 1_700_000_000_000L;

  static Vertx vertx;
  static EmbeddedRedis redis;
  static RedisAPI plain;
  private static Redis plainClient;
  @TempDir
  static Path dataDir;

  Target target;

  @BeforeAll
  static void startAll() {
    vertx = Vertx.vertx();
    redis = EmbeddedRedis.shared();
    plainClient = Redis.createClient(vertx, redis.endpoint());
    plain = RedisAPI.api(plainClient);
  }

  @AfterAll
  static void stopAll() {
    await(plainClient.close());
    await(vertx.close());
  }

  @BeforeEach
  void createTarget() {
    await(plain.flushall(List.of()));
    target = newTarget(new JsonObject().put("endpoint", redis.endpoint()).put("timeout-ms", 2_000));
  }

  @AfterEach
  void closeTarget() {
    await(target.close());
  }

  static TargetFactory factory() {
    return TargetTests.factory("redis");
  }

  static Target newTarget(JsonObject config) {
    return TargetTests.newTarget("redis", new PluginContext(vertx, dataDir, "test"), "cache", config);
  }

  static Delivery delivery(String entryKey, long writeTimeMs, JsonObject payload) {
    return delivery(entryKey, writeTimeMs, payload.toBuffer());
  }

  static Delivery delivery(String entryKey, long writeTimeMs, Buffer payload) {
    return TargetTests.delivery(entryKey, writeTimeMs, payload);
  }

  /** The same entry again, as a redelivery: same id, payload and write time, next attempt. */
  static Delivery again(Delivery d) {
    return TargetTests.again(d);
  }

  void deliver(Delivery delivery) {
    await(target.deliver(delivery));
  }

  DeliveryException deliveryFails(Delivery delivery) {
    return failure(target.deliver(delivery));
  }

  static JsonObject set(String key, String value) {
    return new JsonObject().put("op", "set").put("key", key).put("value", value);
  }

  static JsonObject delete(String key) {
    return new JsonObject().put("op", "delete").put("key", key);
  }

  static String get(String key) {
    Response value = await(plain.get(key));
    return value == null ? null : value.toString();
  }

  static Map<String, String> hgetall(String key) {
    Response all = await(plain.hgetall(key));
    Map<String, String> fields = new HashMap<>();
    if (all != null) {
      for (String name : all.getKeys()) {
        fields.put(name, all.get(name).toString());
      }
    }
    return fields;
  }

  static long pttl(String key) {
    return await(plain.pttl(key)).toLong();
  }

  static boolean exists(String key) {
    return await(plain.exists(List.of(key))).toInteger() == 1;
  }

  static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(15, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("failed: " + e.getCause(), e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError(e);
    }
  }

  static DeliveryException failure(Future<?> future) {
    try {
      future.toCompletionStage().toCompletableFuture().get(15, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(DeliveryException.class);
      return (DeliveryException) e.getCause();
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError(e);
    }
    return fail("the delivery succeeded; expected a DeliveryException");
  }
}
