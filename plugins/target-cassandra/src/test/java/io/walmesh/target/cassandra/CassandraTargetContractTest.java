package io.walmesh.target.cassandra;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.target.Delivery;
import io.walmesh.testkit.TargetContract;
import io.walmesh.testkit.TargetTests;
import io.walmesh.testkit.TcpProxy;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The target contract against the test JVM's real Cassandra (a child JVM, started once for all
 * Cassandra tests by {@link CassandraTestSupport}), reached through a TCP proxy that the kit stops
 * for outages: restarting Cassandra itself takes too long for a contract test.
 */
class CassandraTargetContractTest extends TargetContract {
  static final String TABLE = CassandraTestSupport.KEYSPACE + ".contract";
  static TcpProxy proxy;

  @BeforeAll
  static void startCassandra() {
    CassandraTestSupport.startCassandra();
    CassandraTestSupport.rows("CREATE TABLE IF NOT EXISTS " + TABLE + " (k text PRIMARY KEY, v text)");
    proxy = TcpProxy.start(vertx(), CassandraTestSupport.cassandra.host(), CassandraTestSupport.cassandra.port());
  }

  @AfterAll
  static void stopProxy() {
    proxy.close();
  }

  @Override
  protected String type() {
    return "cassandra";
  }

  @Override
  protected JsonObject config() {
    return new JsonObject().put("contact-points", new JsonArray().add(proxy.address()))
        .put("keyspace", CassandraTestSupport.KEYSPACE).put("timeout-ms", 5_000);
  }

  @Override
  protected Buffer write(String key, String value) {
    return new JsonObject().put("op", "put").put("table", "contract")
        .put("values", new JsonObject().put("k", key).put("v", value)).toBuffer();
  }

  @Override
  protected Optional<String> applied(String key) {
    return CassandraTestSupport.rows("SELECT v FROM " + TABLE + " WHERE k = '" + key + "'").stream()
        .findFirst().map(row -> row.getString("v"));
  }

  @Override
  protected Delivery refused() {
    return TargetTests.delivery("", System.currentTimeMillis(), Buffer.buffer("not a mutation"));
  }

  @Override
  protected void stopServer() {
    proxy.stop();
  }

  @Override
  protected void startServer() {
    proxy.start();
  }

  @Override
  protected boolean versionsByWriteTime() {
    return true;
  }

  /** The driver reconnects with its own backoff once the server is reachable again. */
  @Override
  protected Duration recoveryTime() {
    return Duration.ofSeconds(60);
  }
}
