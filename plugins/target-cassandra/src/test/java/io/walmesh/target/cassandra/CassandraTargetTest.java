package io.walmesh.target.cassandra;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.cql.Row;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.target.DeliveryException;
import io.walmesh.spi.target.DeliveryException.Kind;
import io.walmesh.spi.target.Target;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Each kind of mutation reaches a real Cassandra table, written at the entry's write time. */
class CassandraTargetTest extends CassandraTestSupport {

  @Test
  void putWritesTheRowAtTheEntrysWriteTime() {
    deliver(delivery(T0, put("walmesh_test.users", new JsonObject()
        .put("id", 1).put("name", "alice").put("age", 30).put("tags", new JsonArray().add("a").add("b"))
        .put("seen", "2024-05-01T10:00:00Z").put("data", "0x0102").put("order", 7))));

    Row row = user(1);
    assertThat(row.getString("name")).isEqualTo("alice");
    assertThat(row.getInt("age")).isEqualTo(30);
    assertThat(row.getSet("tags", String.class)).isEqualTo(Set.of("a", "b"));
    assertThat(row.getInstant("seen")).isEqualTo(Instant.parse("2024-05-01T10:00:00Z"));
    assertThat(row.getByteBuffer("data")).isEqualTo(ByteBuffer.wrap(new byte[] {1, 2}));
    assertThat(row.getInt("\"order\"")).isEqualTo(7);
    Row writeTime = rows("SELECT writetime(name) AS wt FROM walmesh_test.users WHERE id = 1").get(0);
    assertThat(writeTime.getLong("wt")).isEqualTo(T0 * 1_000);
  }

  @Test
  void aPutLeavesColumnsItDoesNotNameAndABareTableUsesTheTargetKeyspace() {
    deliver(delivery(T0, put("users", new JsonObject().put("id", 2).put("name", "bob").put("age", 40))));
    deliver(delivery(T0 + 1, put("USERS", new JsonObject().put("ID", 2).put("Age", 41))));

    Row row = user(2);
    assertThat(row.getString("name")).isEqualTo("bob");
    assertThat(row.getInt("age")).isEqualTo(41);
  }

  @Test
  void putWithTtlExpiresTheCells() {
    deliver(delivery(T0, put("users", new JsonObject().put("id", 3).put("name", "carol")).put("ttl-s", 3_600)));

    Row row = rows("SELECT ttl(name) AS ttl FROM walmesh_test.users WHERE id = 3").get(0);
    assertThat(row.getInt("ttl")).isBetween(3_500, 3_600);
  }

  @Test
  void deleteRemovesTheRowOrSomeOfItsCells() {
    deliver(delivery(T0, put("users", new JsonObject().put("id", 4).put("name", "dan").put("age", 50))));
    deliver(delivery(T0, put("users", new JsonObject().put("id", 5).put("name", "eve").put("age", 60))));

    deliver(delivery(T0 + 1, delete("users", new JsonObject().put("id", 4))));
    deliver(delivery(T0 + 1, delete("users", new JsonObject().put("id", 5)).put("columns", new JsonArray().add("age"))));

    assertThat(user(4)).isNull();
    assertThat(user(5).getString("name")).isEqualTo("eve");
    assertThat(user(5).isNull("age")).isTrue();
  }

  @Test
  void deleteByACompositeKey() {
    deliver(delivery(T0, put("events", new JsonObject().put("tenant", "acme").put("seq", 1).put("body", "one"))));
    deliver(delivery(T0, put("events", new JsonObject().put("tenant", "acme").put("seq", 2).put("body", "two"))));

    deliver(delivery(T0 + 1, delete("events", new JsonObject().put("seq", 1).put("tenant", "acme"))));

    assertThat(rows("SELECT seq FROM walmesh_test.events WHERE tenant = 'acme'"))
        .extracting(r -> r.getLong("seq")).containsExactly(2L);
  }

  @Test
  void rawCqlIsAppliedWithTheEntrysTimestamp() {
    deliver(delivery(T0, cql("INSERT INTO walmesh_test.users (id, name, seen) VALUES (?, ?, ?);", 6, "frank", T0)));
    deliver(delivery(T0 + 1, cql("UPDATE walmesh_test.users SET age = ?, tags = ? WHERE id = ?", 70,
        new JsonArray().add("x"), 6).put("ttl-s", 600)));
    deliver(delivery(T0 + 2, cql("DELETE name FROM walmesh_test.users WHERE id = ?", 6)));

    Row row = rows("SELECT name, age, tags, seen, writetime(age) AS wt, ttl(age) AS ttl FROM walmesh_test.users"
        + " WHERE id = 6").get(0);
    assertThat(row.isNull("name")).isTrue();
    assertThat(row.getInt("age")).isEqualTo(70);
    assertThat(row.getSet("tags", String.class)).containsExactly("x");
    assertThat(row.getInstant("seen")).isEqualTo(Instant.ofEpochMilli(T0));
    assertThat(row.getLong("wt")).isEqualTo((T0 + 1) * 1_000);
    assertThat(row.getInt("ttl")).isBetween(500, 600);
  }

  @Test
  void aBatchAppliesAllItsMutationsAcrossPartitions() {
    deliver(delivery(T0, new JsonObject().put("batch", new JsonArray()
        .add(put("users", new JsonObject().put("id", 7).put("name", "gina")))
        .add(put("users", new JsonObject().put("id", 8).put("name", "hank")))
        .add(cql("INSERT INTO events (tenant, seq, body) VALUES (?, ?, ?)", "batch", 1, "b1")))));

    assertThat(user(7).getString("name")).isEqualTo("gina");
    assertThat(user(8).getString("name")).isEqualTo("hank");
    assertThat(rows("SELECT body, writetime(body) AS wt FROM walmesh_test.events WHERE tenant = 'batch'").get(0)
        .getLong("wt")).isEqualTo(T0 * 1_000);
  }

  @Test
  void anUnknownTableIsRetriedAsASchemaChangeMayBeOnItsWayAndNamesIt() {
    DeliveryException e = failure(delivery(T0, put("walmesh_test.no_such_table", new JsonObject().put("id", 1))));

    assertThat(e.kind()).isEqualTo(Kind.RETRYABLE);
    assertThat(e.getMessage()).contains("cassandra target t1").contains("no_such_table").contains("does not exist");
  }

  @Test
  void anUnknownColumnOrAWrongTypeIsPermanent() {
    DeliveryException unknown = failure(delivery(T0, put("users", new JsonObject().put("id", 9).put("nick", "x"))));
    DeliveryException wrongType = failure(delivery(T0, put("users", new JsonObject().put("id", 9).put("age", "old"))));
    DeliveryException rawWrongType = failure(delivery(T0, cql("UPDATE users SET age = ? WHERE id = ?", "old", 9)));
    DeliveryException missingKey = failure(delivery(T0, put("users", new JsonObject().put("name", "no id"))));
    DeliveryException badKey = failure(delivery(T0, delete("users", new JsonObject().put("id", "nine"))));

    assertThat(unknown.kind()).isEqualTo(Kind.PERMANENT);
    assertThat(unknown.getMessage()).contains("nick");
    assertThat(wrongType.kind()).isEqualTo(Kind.PERMANENT);
    assertThat(wrongType.getMessage()).contains("age");
    assertThat(rawWrongType.kind()).isEqualTo(Kind.PERMANENT);
    assertThat(rawWrongType.getMessage()).contains("value for age").contains("expected a whole number");
    assertThat(missingKey.kind()).isEqualTo(Kind.PERMANENT);
    assertThat(missingKey.getMessage()).contains("id");
    assertThat(badKey.kind()).isEqualTo(Kind.PERMANENT);
    assertThat(badKey.getMessage()).contains("nine");
    assertThat(user(9)).isNull();
  }

  @Test
  void aBadPayloadIsPermanentBeforeAnyRequest() {
    DeliveryException notJson = failure(delivery(T0, Buffer.buffer("{oops")));
    DeliveryException ddl = failure(delivery(T0, cql("DROP TABLE users")));

    assertThat(notJson.kind()).isEqualTo(Kind.PERMANENT);
    assertThat(notJson.getMessage()).contains("not a JSON object");
    assertThat(ddl.kind()).isEqualTo(Kind.PERMANENT);
    assertThat(ddl.getMessage()).contains("must be an INSERT, UPDATE or DELETE");
    assertThat(rows("SELECT id FROM walmesh_test.users LIMIT 1")).isNotNull();
  }

  @Test
  void anUnreachableClusterIsRetryable() throws IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    Target unreachable = newTarget(config()
        .put("contact-points", new JsonArray().add("127.0.0.1:" + closedPort))
        .put("timeout-ms", 1_000));
    try {
      DeliveryException e = failure(unreachable, delivery(T0, put("users", new JsonObject().put("id", 10))));
      assertThat(e.kind()).isEqualTo(Kind.RETRYABLE);
      assertThat(e.getMessage()).contains("cannot reach Cassandra").contains("127.0.0.1:" + closedPort);
    } finally {
      await(unreachable.close());
    }
  }
}
