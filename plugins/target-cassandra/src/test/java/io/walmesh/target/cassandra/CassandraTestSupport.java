package io.walmesh.target.cassandra;

import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.Row;
import io.vertx.cassandra.CassandraClient;
import io.vertx.cassandra.CassandraClientOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.PluginContext;
import io.walmesh.spi.target.Delivery;
import io.walmesh.spi.target.DeliveryException;
import io.walmesh.spi.target.Target;
import io.walmesh.testkit.cassandra.CassandraServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * One real Cassandra per test JVM ({@link CassandraServer#shared()}), one Vert.x, one admin client and
 * the test schema, all shared by every test class; a fresh target per test.
 */
abstract class CassandraTestSupport {
  static final String KEYSPACE = "walmesh_test";
  /** A write time in ms; tests add to it to make newer and older entries. */
  static final long T0 = 1_700_000_000_000L;

  private static final AtomicInteger ENTRY_IDS = new AtomicInteger();
  private static Vertx vertx;
  private static CassandraClient admin;
  static CassandraServer cassandra;

  Target target;

  @BeforeAll
  static synchronized void startCassandra() {
    if (admin != null) {
      return;
    }
    cassandra = CassandraServer.shared();
    vertx = Vertx.vertx();
    DriverConfigLoader config = DriverConfigLoader.programmaticBuilder()
        .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(60))
        .build();
    CassandraClientOptions options = new CassandraClientOptions()
        .addContactPoint(cassandra.host(), cassandra.port());
    options.dataStaxClusterBuilder().withLocalDatacenter(cassandra.datacenter()).withConfigLoader(config);
    admin = CassandraClient.create(vertx, options);
    for (String ddl : List.of(
        "CREATE KEYSPACE IF NOT EXISTS " + KEYSPACE
            + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
        "CREATE TABLE IF NOT EXISTS " + KEYSPACE + ".users (id int PRIMARY KEY, name text, age int,"
            + " tags set<text>, seen timestamp, data blob, \"order\" int)",
        "CREATE TABLE IF NOT EXISTS " + KEYSPACE + ".events (tenant text, seq bigint, body text,"
            + " PRIMARY KEY (tenant, seq))")) {
      await(admin.execute(ddl));
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      admin.close();
      vertx.close();
    }, "cassandra-test-vertx-close"));
  }

  @BeforeEach
  void createTarget() {
    target = newTarget(config());
  }

  @AfterEach
  void closeTarget() {
    await(target.close());
  }

  /** The target config pointing at the test server, with the test keyspace as default. */
  static JsonObject config() {
    return new JsonObject()
        .put("contact-points", new JsonArray().add(cassandra.contactPoint()))
        .put("keyspace", KEYSPACE)
        .put("timeout-ms", 10_000);
  }

  static Target newTarget(JsonObject config) {
    return new CassandraTargetFactory().create(new PluginContext(vertx, Path.of("target"), "node-1"), "t1", config);
  }

  static Delivery delivery(long writeTimeMs, JsonObject payload) {
    return delivery(writeTimeMs, payload.toBuffer());
  }

  static Delivery delivery(long writeTimeMs, Buffer payload) {
    return new Delivery("ns", "e-" + ENTRY_IDS.incrementAndGet(), "", payload, Map.of(), Map.of(), writeTimeMs, 1);
  }

  void deliver(Delivery delivery) {
    await(target.deliver(delivery));
  }

  /** The failure of a delivery that must fail. */
  static DeliveryException failure(Target target, Delivery delivery) {
    try {
      target.deliver(delivery).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof DeliveryException failure) {
        return failure;
      }
      throw new AssertionError("not a DeliveryException", e.getCause());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("the delivery succeeded");
  }

  DeliveryException failure(Delivery delivery) {
    return failure(target, delivery);
  }

  /** The rows of a query, read by the admin client. */
  static List<Row> rows(String cql) {
    return await(admin.executeWithFullFetch(cql));
  }

  /** The one row of {@code users} with {@code id}, or null. */
  static Row user(int id) {
    List<Row> rows = rows("SELECT * FROM " + KEYSPACE + ".users WHERE id = " + id);
    return rows.isEmpty() ? null : rows.get(0);
  }

  static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new AssertionError(e.getCause());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static JsonObject put(String table, JsonObject values) {
    return new JsonObject().put("op", "put").put("table", table).put("values", values);
  }

  static JsonObject delete(String table, JsonObject key) {
    return new JsonObject().put("op", "delete").put("table", table).put("key", key);
  }

  static JsonObject cql(String cql, Object... values) {
    return new JsonObject().put("cql", cql).put("values", new JsonArray(List.of(values)));
  }
}
