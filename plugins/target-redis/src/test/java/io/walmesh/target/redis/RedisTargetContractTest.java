package io.walmesh.target.redis;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;
import io.walmesh.spi.target.Delivery;
import io.walmesh.testkit.BackendProbe;
import io.walmesh.testkit.EmbeddedRedis;
import io.walmesh.testkit.TargetContract;
import io.walmesh.testkit.TargetTests;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The target contract against the test JVM's real Redis, read back with a plain Redis client. */
class RedisTargetContractTest extends TargetContract {
  static EmbeddedRedis redis;
  static Redis plainClient;

  @BeforeAll
  static void startRedis() {
    redis = EmbeddedRedis.shared();
    plainClient = Redis.createClient(vertx(), redis.endpoint());
  }

  @AfterAll
  static void closeClient() {
    plainClient.close();
  }

  @Override
  protected String type() {
    return "redis";
  }

  @Override
  protected JsonObject config() {
    return new JsonObject().put("endpoint", redis.endpoint()).put("timeout-ms", 2_000);
  }

  @Override
  protected Buffer write(String key, String value) {
    return new JsonObject().put("op", "set").put("key", key).put("value", value).toBuffer();
  }

  @Override
  protected Optional<String> applied(String key) {
    Response value = BackendProbe.await(RedisAPI.api(plainClient).get(key));
    return Optional.ofNullable(value).map(Response::toString);
  }

  @Override
  protected Delivery refused() {
    return TargetTests.delivery("", System.currentTimeMillis(), new JsonObject().put("op", "explode").toBuffer());
  }

  @Override
  protected void stopServer() {
    redis.stop();
  }

  @Override
  protected void startServer() {
    redis.start();
  }

  @Override
  protected boolean versionsByWriteTime() {
    return true;
  }
}
