package io.walmesh.target.cassandra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.target.DeliveryException;
import io.walmesh.spi.target.DeliveryException.Kind;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Payloads become timestamped statements; every malformed payload is permanent and says why. */
class CassandraMutationTest {
  private static final long TS = 1_700_000_000_000_000L;

  @Test
  void aPutIsAnInsertJsonUsingTheTimestamp() {
    CqlStatement put = one(new JsonObject().put("op", "put").put("table", "Shop.Orders")
        .put("values", new JsonObject().put("ID", 1).put("note", "x")).put("ttl-s", 60));

    assertThat(put.cql()).isEqualTo(
        "INSERT INTO \"shop\".\"orders\" JSON ? DEFAULT UNSET USING TIMESTAMP ? AND TTL ?");
    assertThat(put.values()).containsExactly("{\"id\":1,\"note\":\"x\"}", TS, 60);
  }

  @Test
  void aDeleteBindsKeyValuesThroughFromJsonInNameOrder() {
    CqlStatement delete = CassandraMutation.parse(new JsonObject().put("op", "delete").put("table", "orders")
        .put("key", new JsonObject().put("seq", 2).put("tenant", "acme"))
        .put("columns", new JsonArray().add("note")).toBuffer(), TS, "shop").statements().get(0);

    assertThat(delete.cql()).isEqualTo("DELETE \"note\" FROM \"shop\".\"orders\" USING TIMESTAMP ?"
        + " WHERE \"seq\" = fromJson(?) AND \"tenant\" = fromJson(?)");
    assertThat(delete.values()).containsExactly(TS, "2", "\"acme\"");
  }

  @Test
  void rawCqlGetsTheTimestampMarkerWhereTheStatementTakesIt() {
    assertRaw("INSERT INTO ks.t (a, b) VALUES (?, ?);", List.of(1, 2),
        "INSERT INTO ks.t (a, b) VALUES (?, ?) USING TIMESTAMP ?", List.of(1, 2, TS));
    assertRaw("update \"KS\".t SET a = ? WHERE b = 'USING ? IF'", List.of(1),
        "update \"KS\".t USING TIMESTAMP ? SET a = ? WHERE b = 'USING ? IF'", List.of(TS, 1));
    assertRaw("DELETE m[?] FROM ks.t WHERE id = ? -- why", List.of("k", 1),
        "DELETE m[?] FROM ks.t USING TIMESTAMP ? WHERE id = ?", List.of("k", TS, 1));
    // a trailing comment is dropped: the appended USING must not end up inside it
    assertRaw("INSERT INTO ks.t (a) VALUES (?) // note", List.of(1),
        "INSERT INTO ks.t (a) VALUES (?) USING TIMESTAMP ?", List.of(1, TS));
  }

  @Test
  void rawCqlTakesATtlFromThePayload() {
    CqlStatement raw = one(new JsonObject().put("cql", "UPDATE ks.t SET a = ? WHERE id = ?")
        .put("values", new JsonArray().add(1).add(2)).put("ttl-s", 30));

    assertThat(raw.cql()).isEqualTo("UPDATE ks.t USING TIMESTAMP ? AND TTL ? SET a = ? WHERE id = ?");
    assertThat(raw.values()).containsExactly(TS, 30, 1, 2);
  }

  @Test
  void aBatchHoldsEachMutationWithTheSameTimestamp() {
    CassandraMutation.Parsed batch = CassandraMutation.parse(new JsonObject().put("batch", new JsonArray()
        .add(new JsonObject().put("op", "put").put("table", "ks.a").put("values", new JsonObject().put("id", 1)))
        .add(new JsonObject().put("cql", "DELETE FROM ks.b WHERE id = ?").put("values", new JsonArray().add(1))))
        .toBuffer(), TS, null);

    assertThat(batch.batch()).isTrue();
    assertThat(batch.statements()).hasSize(2).allSatisfy(s -> assertThat(s.values()).contains(TS));
  }

  @Test
  void aSequenceGivesEachMutationTheNextMicrosecondSoLaterOnesWin() {
    CassandraMutation.Parsed sequence = CassandraMutation.parse(new JsonObject().put("sequence", new JsonArray()
        .add(new JsonObject().put("op", "put").put("table", "ks.a").put("values", new JsonObject().put("id", 1)))
        .add(new JsonObject().put("op", "put").put("table", "ks.b").put("values", new JsonObject().put("id", 1)))
        .add(new JsonObject().put("op", "delete").put("table", "ks.a").put("key", new JsonObject().put("id", 1))))
        .toBuffer(), TS, null);

    assertThat(sequence.mode()).isEqualTo(CassandraMutation.Mode.SEQUENCE);
    assertThat(sequence.statements()).extracting(s -> s.values().contains(TS), s -> s.values().contains(TS + 1),
        s -> s.values().contains(TS + 2)).containsExactly(
            org.assertj.core.groups.Tuple.tuple(true, false, false),
            org.assertj.core.groups.Tuple.tuple(false, true, false),
            org.assertj.core.groups.Tuple.tuple(false, false, true));
  }

  @Test
  void badPayloadsArePermanentAndSayWhy() {
    assertBad(Buffer.buffer("[1]"), "not a JSON object");
    assertBad(json("{}"), "needs \"op\"");
    assertBad(json("{\"op\":\"upsert\"}"), "unknown op \"upsert\"");
    assertBad(json("{\"op\":\"put\",\"values\":{\"id\":1}}"), "needs \"table\"");
    assertBad(json("{\"op\":\"put\",\"table\":\"ks.t;DROP\",\"values\":{\"id\":1}}"), "not \"keyspace.table\"");
    assertBad(json("{\"op\":\"put\",\"table\":\"a.b.c\",\"values\":{\"id\":1}}"), "not \"keyspace.table\"");
    assertBad(json("{\"op\":\"put\",\"table\":\"t\",\"values\":{\"id\":1}}"), "names no keyspace");
    assertBad(json("{\"op\":\"put\",\"table\":\"ks.t\",\"values\":{}}"), "needs \"values\"");
    assertBad(json("{\"op\":\"put\",\"table\":\"ks.t\",\"values\":{\"a\\\"b\":1}}"), "not a plain CQL identifier");
    assertBad(json("{\"op\":\"put\",\"table\":\"ks.t\",\"values\":{\"id\":1,\"ID\":2}}"), "twice");
    assertBad(json("{\"op\":\"put\",\"table\":\"ks.t\",\"values\":{\"id\":1},\"ttl-s\":0}"), "\"ttl-s\"");
    assertBad(json("{\"op\":\"put\",\"table\":\"ks.t\",\"values\":{\"id\":1},\"key\":{}}"), "not allowed for op put");
    assertBad(json("{\"op\":\"delete\",\"table\":\"ks.t\"}"), "needs \"key\"");
    assertBad(json("{\"op\":\"delete\",\"table\":\"ks.t\",\"key\":{\"id\":null}}"), "must not be null");
    assertBad(json("{\"op\":\"delete\",\"table\":\"ks.t\",\"key\":{\"id\":1},\"columns\":[1]}"), "columns[0]");
    assertBad(json("{\"cql\":\"SELECT * FROM ks.t\"}"), "must be an INSERT, UPDATE or DELETE statement, got SELECT");
    assertBad(json("{\"cql\":\"TRUNCATE ks.t\"}"), "got TRUNCATE");
    assertBad(json("{\"cql\":\"BEGIN BATCH INSERT INTO ks.t (id) VALUES (1) APPLY BATCH\"}"), "must not be a BATCH");
    assertBad(json("{\"cql\":\"UPDATE ks.t USING TIMESTAMP 1 SET a = 1 WHERE id = 1\"}"), "USING clause");
    assertBad(json("{\"cql\":\"INSERT INTO ks.t (id) VALUES (1) IF NOT EXISTS\"}"), "IF condition");
    assertBad(json("{\"cql\":\"INSERT INTO ks.t (id) VALUES (1); DROP TABLE ks.t\"}"), "single statement");
    assertBad(json("{\"cql\":\"UPDATE ks.t SET a = 'x WHERE id = 1\"}"), "unterminated string literal");
    assertBad(json("{\"cql\":\"UPDATE ks.t SET a = ? WHERE id = ?\",\"values\":[1]}"), "2 ? marker(s)");
    assertBad(json("{\"cql\":\"UPDATE ks.t SET a = 1 WHERE id = 1\",\"values\":{\"a\":1}}"), "must be an array");
    assertBad(json("{\"batch\":[]}"), "non-empty array");
    assertBad(json("{\"batch\":[{\"batch\":[]}]}"), "batch[0]: a batch cannot contain a batch or a sequence");
    assertBad(json("{\"sequence\":[{\"batch\":[]}]}"), "sequence[0]: a sequence cannot contain a batch or a sequence");
    assertBad(json("{\"sequence\":[]}"), "\"sequence\" must be a non-empty array");
    assertBad(json("{\"batch\":[{\"op\":\"put\",\"table\":\"ks.t\"}]}"), "batch[0]: op put needs \"values\"");
  }

  private static void assertRaw(String cql, List<Object> values, String expectedCql, List<Object> expectedValues) {
    CqlStatement raw = one(new JsonObject().put("cql", cql).put("values", new JsonArray(values)));
    assertThat(raw.cql()).isEqualTo(expectedCql);
    assertThat(raw.values()).isEqualTo(expectedValues);
  }

  private static CqlStatement one(JsonObject payload) {
    CassandraMutation.Parsed parsed = CassandraMutation.parse(payload.toBuffer(), TS, null);
    assertThat(parsed.batch()).isFalse();
    return parsed.statements().get(0);
  }

  private static Buffer json(String text) {
    return Buffer.buffer(text);
  }

  private static void assertBad(Buffer payload, String problem) {
    assertThatThrownBy(() -> CassandraMutation.parse(payload, TS, null))
        .isInstanceOf(DeliveryException.class)
        .hasMessageContaining(problem)
        .satisfies(e -> assertThat(((DeliveryException) e).kind()).isEqualTo(Kind.PERMANENT));
  }
}
