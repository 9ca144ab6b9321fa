package io.walmesh.target.memcached;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.PluginContext;
import io.walmesh.spi.target.Delivery;
import io.walmesh.spi.target.DeliveryException;
import io.walmesh.spi.target.Target;
import io.walmesh.spi.target.TargetFactory;
import io.walmesh.testkit.TargetTests;
import io.walmesh.testkit.Memcached;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Vert.x, the test JVM's memcached (the binary when installed, else the pure-Java fallback),
 * a {@code memcached} target created through the SPI as the node would (ServiceLoader, validate,
 * create), and a plain reader to look at the result.
 */
abstract class MemcachedTestSupport {
  static final long T0 = 1_700_000_000_000L;

  static Vertx vertx;
  static Memcached memcached;
  static PlainMemcached plain;
  @TempDir
  static Path dataDir;

  Target target;

  @BeforeAll
  static void startAll() {
    vertx = Vertx.vertx();
    memcached = Memcached.shared();
    plain = new PlainMemcached("127.0.0.1", memcached.port());
  }

  @AfterAll
  static void stopAll() {
    await(vertx.close());
  }

  @BeforeEach
  void createTarget() {
    memcached.start();
    plain.flushAll();
    target = newTarget(config());
  }

  @AfterEach
  void closeTarget() {
    await(target.close());
  }

  static JsonObject config() {
    return new JsonObject().put("servers", new JsonArray().add(memcached.server())).put("timeout-ms", 2_000);
  }

  static TargetFactory factory() {
    return TargetTests.factory("memcached");
  }

  static Target newTarget(JsonObject config) {
    return TargetTests.newTarget("memcached", new PluginContext(vertx, dataDir, "test"), "cache", config);
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

  static JsonObject touch(String key, int ttlS) {
    return new JsonObject().put("op", "touch").put("key", key).put("ttl-s", ttlS);
  }

  static String get(String key) {
    return plain.get(key);
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
