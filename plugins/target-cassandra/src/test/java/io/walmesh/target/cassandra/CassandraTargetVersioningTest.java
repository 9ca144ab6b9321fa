package io.walmesh.target.cassandra;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.target.Delivery;
import org.junit.jupiter.api.Test;

/** Redelivery is idempotent: an older entry never overwrites or resurrects what a newer one wrote. */
class CassandraTargetVersioningTest extends CassandraTestSupport {

  @Test
  void aRedeliveredOlderPutDoesNotOverwriteANewerOne() {
    Delivery older = delivery(T0, put("users", new JsonObject().put("id", 100).put("name", "old").put("age", 1)));
    Delivery newer = delivery(T0 + 5, put("users", new JsonObject().put("id", 100).put("name", "new")));

    deliver(older);
    deliver(newer);
    deliver(older);

    assertThat(user(100).getString("name")).isEqualTo("new");
    assertThat(user(100).getInt("age")).isEqualTo(1);
  }

  @Test
  void theSameEntryDeliveredTwiceLeavesTheSameRow() {
    Delivery entry = delivery(T0, put("users", new JsonObject().put("id", 101).put("name", "once").put("age", 2)));

    deliver(entry);
    deliver(entry);

    assertThat(user(101).getString("name")).isEqualTo("once");
    assertThat(user(101).getInt("age")).isEqualTo(2);
  }

  @Test
  void aLateOlderPutCannotResurrectANewerDelete() {
    Delivery put = delivery(T0, put("users", new JsonObject().put("id", 102).put("name", "gone")));
    Delivery delete = delivery(T0 + 1, delete("users", new JsonObject().put("id", 102)));

    deliver(put);
    deliver(delete);
    deliver(put);

    assertThat(user(102)).isNull();
  }

  @Test
  void anOlderDeleteArrivingLateDoesNotRemoveANewerPut() {
    deliver(delivery(T0 + 10, put("users", new JsonObject().put("id", 103).put("name", "kept"))));
    deliver(delivery(T0, delete("users", new JsonObject().put("id", 103))));

    assertThat(user(103).getString("name")).isEqualTo("kept");
  }

  @Test
  void rawCqlAndBatchesAreVersionedTheSameWay() {
    deliver(delivery(T0 + 5, cql("UPDATE users SET name = ? WHERE id = ?", "newer", 104)));
    deliver(delivery(T0, cql("UPDATE users SET name = ? WHERE id = ?", "older", 104)));
    deliver(delivery(T0, new JsonObject().put("batch", new JsonArray()
        .add(put("users", new JsonObject().put("id", 104).put("name", "older-batch")))
        .add(put("users", new JsonObject().put("id", 105).put("name", "first"))))));

    assertThat(user(104).getString("name")).isEqualTo("newer");
    assertThat(user(105).getString("name")).isEqualTo("first");
  }
}
