package io.walmesh.target.memcached;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.target.Delivery;
import io.walmesh.testkit.Memcached;
import io.walmesh.testkit.TargetContract;
import io.walmesh.testkit.TargetTests;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;

/** The target contract against the test JVM's real memcached, read back with a plain text-protocol reader. */
class MemcachedTargetContractTest extends TargetContract {
  static Memcached memcached;
  static PlainMemcached plain;

  @BeforeAll
  static void startMemcached() {
    memcached = Memcached.shared();
    memcached.start();
    plain = new PlainMemcached("127.0.0.1", memcached.port());
  }

  @Override
  protected String type() {
    return "memcached";
  }

  @Override
  protected JsonObject config() {
    return new JsonObject().put("servers", new JsonArray().add(memcached.server())).put("timeout-ms", 2_000);
  }

  @Override
  protected Buffer write(String key, String value) {
    return new JsonObject().put("op", "set").put("key", key).put("value", value).toBuffer();
  }

  @Override
  protected Optional<String> applied(String key) {
    return Optional.ofNullable(plain.get(key));
  }

  @Override
  protected Delivery refused() {
    return TargetTests.delivery("", System.currentTimeMillis(), new JsonObject().put("op", "explode").toBuffer());
  }

  @Override
  protected void stopServer() {
    memcached.stop();
  }

  @Override
  protected void startServer() {
    memcached.start();
  }

  @Override
  protected boolean versionsByWriteTime() {
    return true;
  }
}
