package io.walmesh.target.memcached;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.walmesh.spi.target.Delivery;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Redelivery and out-of-order delivery, as a WAL consumer produces them: the newest write time wins,
 * a redelivered entry is a no-op, a delete's tombstone stops a late set, and concurrent writers of
 * one key end with the newest entry's result.
 */
class MemcachedTargetVersioningTest extends MemcachedTestSupport {

  @Test
  void anOlderEntryDeliveredLateDoesNotOverwriteANewerOne() {
    Delivery older = delivery("", T0, set("user:1", "v1"));
    deliver(older);
    deliver(delivery("", T0 + 10, set("user:1", "v2")));
    deliver(again(older));
    deliver(delivery("", T0 + 5, set("user:1", "v-late")));

    assertThat(get("user:1")).isEqualTo("v2");
  }

  @Test
  void aSetOlderThanADeleteDoesNotResurrectTheKey() {
    deliver(delivery("", T0, set("user:1", "v1")));
    deliver(delivery("", T0 + 20, delete("user:1")));
    deliver(delivery("", T0 + 10, set("user:1", "late")));
    deliver(delivery("", T0 + 15, touch("user:1", 60)));

    assertThat(get("user:1")).isNull();
    deliver(delivery("", T0 + 30, set("user:1", "v3")));
    assertThat(get("user:1")).isEqualTo("v3");
  }

  @Test
  void aDeleteOfANeverWrittenKeyStillStopsAnOlderSet() {
    deliver(delivery("", T0 + 20, delete("user:9")));
    deliver(delivery("", T0 + 10, set("user:9", "late")));

    assertThat(get("user:9")).isNull();
  }

  @Test
  void anOlderTouchDoesNotChangeANewerSet() {
    deliver(delivery("", T0 + 10, set("user:5", "new")));
    deliver(delivery("", T0, touch("user:5", 1)));

    // had the touch applied, the value would expire within 2 s
    org.awaitility.Awaitility.await().pollDelay(java.time.Duration.ofMillis(2_500))
        .atMost(java.time.Duration.ofSeconds(4)).until(() -> "new".equals(get("user:5")));
  }

  @Test
  void theSameEntryDeliveredTwiceLeavesOneResult() {
    Delivery set = delivery("", T0, set("user:1", "alice").put("ttl-s", 60));
    deliver(set);
    deliver(again(set));
    assertThat(get("user:1")).isEqualTo("alice");

    Delivery delete = delivery("", T0 + 1, delete("user:1"));
    deliver(delete);
    deliver(again(delete));
    deliver(again(set));
    assertThat(get("user:1")).isNull();
  }

  @Test
  void concurrentWritersOfOneKeyEndWithTheNewestEntry() {
    Random random = new Random(42);
    for (int round = 0; round < 30; round++) {
      String key = "race:" + round;
      List<Delivery> deliveries = new ArrayList<>();
      int newest = -1;
      boolean newestIsDelete = false;
      for (int i = 0; i < 10; i++) {
        boolean isDelete = random.nextInt(4) == 0;
        deliveries.add(delivery("", T0 + i, isDelete ? delete(key) : set(key, "v" + i)));
        newest = i;
        newestIsDelete = isDelete;
      }
      Collections.shuffle(deliveries, random);
      List<Future<Void>> all = new ArrayList<>();
      for (Delivery d : deliveries) {
        all.add(target.deliver(d));
      }
      for (Delivery d : deliveries.subList(0, 4)) {
        all.add(target.deliver(again(d)));
      }
      await(Future.all(all));

      assertThat(get(key)).as("round %d", round).isEqualTo(newestIsDelete ? null : "v" + newest);
    }
  }
}
