package io.walmesh.node;

import static io.walmesh.node.TestNodes.request;
import static io.walmesh.node.TestNodes.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.Row;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.node.cli.WalmeshCommand;
import io.walmesh.testkit.cassandra.CassandraServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Two personas against a real Cassandra: a multi-table mutation applied in order through a table
 * outage, and the replay of a namespace's retained log into a corrupted table, skipping the bad
 * entry.
 */
class CassandraPersonasTest extends SingleNodeTest {
  static CassandraServer cassandra;
  static CqlSession cql;

  @BeforeAll
  static void startCassandra() {
    cassandra = CassandraServer.shared();
    // schema changes (CREATE, DROP) wait for the schema to settle; on a loaded CI machine that takes
    // longer than the driver's default 2 s request timeout
    cql = CqlSession.builder().addContactPoint(new InetSocketAddress(cassandra.host(), cassandra.port()))
        .withLocalDatacenter(cassandra.datacenter())
        .withConfigLoader(DriverConfigLoader.programmaticBuilder()
            .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(60)).build())
        .build();
    cql.execute("CREATE KEYSPACE IF NOT EXISTS shop WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    cql.execute("CREATE TABLE IF NOT EXISTS shop.orders (id int PRIMARY KEY, status text)");
    cql.execute("CREATE TABLE IF NOT EXISTS shop.order_items (order_id int, item int, qty int, PRIMARY KEY (order_id, item))");
    cql.execute("CREATE TABLE IF NOT EXISTS shop.order_audit (order_id int PRIMARY KEY, note text)");
    cql.execute("CREATE TABLE IF NOT EXISTS shop.profiles (id int PRIMARY KEY, name text)");
  }

  @AfterAll
  static void closeSession() {
    cql.close();
  }

  static JsonObject namespace(String name, JsonObject backendConfig) {
    return new JsonObject().put("name", name).put("ordering", "per-key")
        .put("backend", new JsonObject().put("type", "local").put("config", backendConfig))
        .put("targets", new JsonArray().add(new JsonObject().put("name", "db").put("type", "cassandra")
            .put("config", new JsonObject().put("contact-points", new JsonArray().add(cassandra.host() + ":" + cassandra.port()))
                .put("local-datacenter", cassandra.datacenter()).put("keyspace", "shop").put("timeout-ms", 5_000))))
        .put("retry", new JsonObject().put("max-attempts", 10_000).put("initial-backoff-ms", 100).put("max-backoff-ms", 300))
        .put("consumer", new JsonObject().put("poll-interval-ms", 20));
  }

  static JsonObject put(String table, JsonObject values) {
    return new JsonObject().put("op", "put").put("table", table).put("values", values);
  }

  static String submit(String namespace, String key, JsonObject payload) {
    return PluginHotLoadTest.entryId(write(grpc, request(namespace, payload.encode()).setKey(key).build()));
  }

  /** The namespace's walmesh_retries_total, as Prometheus scrapes it. */
  static double retries(String namespace) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("walmesh_retries_total\\{namespace=\"" + namespace
        + "\"\\} (\\S+)").matcher(admin.get("/metrics").text());
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  static Row one(String query) {
    return cql.execute(query).one();
  }

  @Test
  void aMultiTableMutationEndsFullyAppliedInOrderThroughATableOutage() {
    TestNodes.create(admin, namespace("orders", new JsonObject()));
    submit("orders", "order-1", new JsonObject().put("sequence", new JsonArray()
        .add(put("orders", new JsonObject().put("id", 1).put("status", "placed")))
        .add(put("order_items", new JsonObject().put("order_id", 1).put("item", 7).put("qty", 2)))
        .add(put("order_audit", new JsonObject().put("order_id", 1).put("note", "placed")))));
    await().atMost(Duration.ofSeconds(20)).until(() -> one("SELECT note FROM shop.order_audit WHERE order_id = 1") != null);

    // one table of the set breaks; the next set is acknowledged and applied up to it, never past it
    cql.execute("DROP TABLE shop.order_items");
    submit("orders", "order-2", new JsonObject().put("sequence", new JsonArray()
        .add(put("orders", new JsonObject().put("id", 2).put("status", "placed")))
        .add(put("order_items", new JsonObject().put("order_id", 2).put("item", 7).put("qty", 5)))
        .add(put("order_audit", new JsonObject().put("order_id", 2).put("note", "placed")))
        .add(put("orders", new JsonObject().put("id", 2).put("status", "confirmed")))));
    await().atMost(Duration.ofSeconds(20)).until(() -> one("SELECT status FROM shop.orders WHERE id = 2") != null);
    await().atMost(Duration.ofSeconds(20)).until(() -> retries("orders") >= 3); // the set was retried a few times
    assertThat(one("SELECT status FROM shop.orders WHERE id = 2").getString("status")).isEqualTo("placed");
    assertThat(one("SELECT note FROM shop.order_audit WHERE order_id = 2"))
        .as("a later mutation of the set is never applied before an earlier one").isNull();
    assertThat(admin.get("/v1/namespaces/orders/dlq").body().getJsonArray("entries")).isEmpty();

    cql.execute("CREATE TABLE shop.order_items (order_id int, item int, qty int, PRIMARY KEY (order_id, item))");
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(one("SELECT qty FROM shop.order_items WHERE order_id = 2 AND item = 7")).isNotNull();
      assertThat(one("SELECT note FROM shop.order_audit WHERE order_id = 2").getString("note")).isEqualTo("placed");
      assertThat(one("SELECT status FROM shop.orders WHERE id = 2").getString("status"))
          .as("the set's last mutation wins over its first").isEqualTo("confirmed");
    });
    assertThat(one("SELECT qty FROM shop.order_items WHERE order_id = 2 AND item = 7").getInt("qty")).isEqualTo(5);
    // applied, then acknowledged: the acknowledgement follows the target's answer by a moment
    await().atMost(Duration.ofSeconds(10)).until(
        () -> admin.get("/v1/namespaces/orders").body().getJsonObject("stats").getLong("pending") == 0);
  }

  @Test
  void aReplayRestoresACorruptedTableFromTheLogSkippingTheBadEntry() {
    TestNodes.create(admin, namespace("profiles", new JsonObject().put("retention-ms", 86_400_000L)));
    long start = System.currentTimeMillis() - 1;
    for (int id = 1; id <= 5; id++) {
      submit("profiles", "p" + id, put("profiles", new JsonObject().put("id", id).put("name", "user-" + id)));
    }
    String bad = submit("profiles", "p3", put("profiles", new JsonObject().put("id", 3).put("name", "CORRUPTED")));
    submit("profiles", "p6", put("profiles", new JsonObject().put("id", 6).put("name", "user-6")));
    await().atMost(Duration.ofSeconds(20)).until(() -> cql.execute("SELECT id FROM shop.profiles").all().size() == 6
        && admin.get("/v1/namespaces/profiles").body().getJsonObject("stats").getLong("pending") == 0);
    assertThat(one("SELECT name FROM shop.profiles WHERE id = 3").getString("name")).isEqualTo("CORRUPTED");

    // the operator wipes the damaged table and replays the log since the start, without the bad entry
    cql.execute("TRUNCATE shop.profiles");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream previous = System.out;
    System.setOut(new PrintStream(out, true));
    int exit;
    try {
      exit = new CommandLine(new WalmeshCommand()).execute("replay", "profiles", "--admin",
          "http://127.0.0.1:" + node.adminPort(), "--from", java.time.Instant.ofEpochMilli(start).toString(),
          "--exclude", bad, "--poll-ms", "200");
    } finally {
      System.setOut(previous);
    }
    assertThat(exit).as(out.toString()).isZero();
    assertThat(out.toString()).contains("6/6 settled (0 dead-lettered), 0 remaining, 1 excluded");

    List<Row> rows = cql.execute("SELECT id, name FROM shop.profiles").all();
    assertThat(rows).hasSize(6);
    for (Row row : rows) {
      assertThat(row.getString("name")).isEqualTo("user-" + row.getInt("id"));
    }
  }

  @Test
  void aReplayOfANamespaceWithoutRetentionSaysHowToGetOne() {
    TestNodes.create(admin, namespace("no-retention", new JsonObject()));
    AdminHttp.Response refused = admin.post("/v1/namespaces/no-retention/replay", new JsonObject().put("from", 0));
    assertThat(refused.status()).isEqualTo(409);
    assertThat(refused.body().getString("error")).contains("retention-ms");
    AdminHttp.Response badTime = admin.post("/v1/namespaces/no-retention/replay", new JsonObject().put("from", "yesterday"));
    assertThat(badTime.status()).isEqualTo(400);
    assertThat(badTime.body().getString("field")).isEqualTo("from");
  }
}
