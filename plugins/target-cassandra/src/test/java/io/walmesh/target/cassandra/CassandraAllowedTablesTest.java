package io.walmesh.target.cassandra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.DestinationPolicy;
import io.walmesh.spi.PluginContext;
import io.walmesh.spi.config.ConfigException;
import io.walmesh.spi.target.Delivery;
import io.walmesh.spi.target.DeliveryException;
import io.walmesh.spi.target.Target;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code allowed-tables}: a payload that writes outside the list is dead-lettered before any
 * connection is made, whether it names the table in a structured op or in raw CQL; and a contact
 * point in the node's deny-list is refused on config.
 */
class CassandraAllowedTablesTest {
  static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void rawCqlNamesTheTableItWrites() {
    assertThat(table("INSERT INTO Shop.Orders (a) VALUES (?)", null)).isEqualTo("shop.orders");
    assertThat(table("update \"Shop\" . orders SET a = ? WHERE id = 1", null)).isEqualTo("Shop.orders");
    assertThat(table("DELETE a FROM orders WHERE id = ?", "shop")).isEqualTo("shop.orders");
    assertThat(table("DELETE a FROM orders WHERE id = ?", null)).isNull();
    assertThat(table("INSERT INTO \"a.b\".c (a) VALUES (?)", null)).isNull();
  }

  @Test
  void aPayloadOutsideTheAllowListIsPermanentAndNamesTheList() throws Exception {
    CassandraTargetFactory factory = new CassandraTargetFactory();
    JsonObject config = new JsonObject().put("contact-points", new JsonArray().add("127.0.0.2:1"))
        .put("keyspace", "shop").put("timeout-ms", 500)
        .put("allowed-tables", new JsonArray().add("shop.orders").add("audit.*"));
    factory.validate(config, "config");
    Target target = factory.create(new PluginContext(vertx, Path.of("target"), "test"), "db", config);
    try {
      for (JsonObject payload : new JsonObject[] {
          new JsonObject().put("op", "put").put("table", "system_auth.roles").put("values", new JsonObject().put("a", 1)),
          new JsonObject().put("cql", "UPDATE system_auth.roles SET salted_hash = ? WHERE role = ?")
              .put("values", new JsonArray().add("x").add("cassandra")),
          new JsonObject().put("batch", new JsonArray()
              .add(new JsonObject().put("op", "put").put("table", "orders").put("values", new JsonObject().put("a", 1)))
              .add(new JsonObject().put("cql", "DELETE FROM users WHERE id = ?").put("values", new JsonArray().add(1))))}) {
        Throwable failure = failure(target.deliver(delivery(payload)));
        assertThat(failure).as(payload.encode()).isInstanceOf(DeliveryException.class)
            .hasMessageContaining("allowed-tables [shop.orders, audit.*]");
        assertThat(((DeliveryException) failure).kind()).isEqualTo(DeliveryException.Kind.PERMANENT);
      }
      // an allowed table gets as far as connecting (nothing listens there: a retryable failure)
      Throwable allowed = failure(target.deliver(delivery(new JsonObject().put("cql",
          "INSERT INTO audit.log (id) VALUES (?)").put("values", new JsonArray().add(1)))));
      assertThat(allowed).isInstanceOf(DeliveryException.class).hasMessageNotContaining("allowed-tables");
      assertThat(((DeliveryException) allowed).kind()).isEqualTo(DeliveryException.Kind.RETRYABLE);
    } finally {
      target.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void theConfigIsCheckedAgainstTheNodesDenyListAndTheAllowListMustBeWellFormed() {
    CassandraTargetFactory factory = new CassandraTargetFactory();
    factory.init(new PluginContext(vertx, Path.of("target"), "test", DestinationPolicy.defaults()));
    assertThatThrownBy(() -> factory.validate(new JsonObject().put("contact-points",
        new JsonArray().add("127.0.0.1:9042").add("169.254.10.10:9042")), "targets[0].config"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("169.254.0.0/16")
        .extracting(e -> ((ConfigException) e).field()).isEqualTo("targets[0].config.contact-points[1]");
    assertThatThrownBy(() -> factory.validate(new JsonObject().put("contact-points", new JsonArray().add("127.0.0.1"))
        .put("allowed-tables", new JsonArray().add("orders")), "c"))
        .isInstanceOf(ConfigException.class).extracting(e -> ((ConfigException) e).field())
        .isEqualTo("c.allowed-tables[0]");
  }

  private static String table(String cql, String keyspace) {
    return CassandraMutation.parse(new JsonObject().put("cql", cql).put("values", new JsonArray()
        .addAll(new JsonArray(java.util.Collections.nCopies((int) cql.chars().filter(c -> c == '?').count(), 1))))
        .toBuffer(), 1L, keyspace).statements().get(0).table();
  }

  private static Delivery delivery(JsonObject payload) {
    return new Delivery("ns", "e1", "", Buffer.buffer(payload.encode()), Map.of(), Map.of(), 1_700_000_000_000L, 1);
  }

  private static Throwable failure(Future<?> future) throws Exception {
    try {
      future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    }
    throw new AssertionError("the delivery succeeded");
  }
}
