package io.walmesh.backend.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.walmesh.spi.entry.EntryRecord;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** The consumer's window: what may be leased, and which offsets may be committed. */
class WindowTest {
  private static final TopicPartition P0 = new TopicPartition("t", 0);
  private static final TopicPartition P1 = new TopicPartition("t", 1);

  private static EntryRecord entry(String id, String key, long dueAt) {
    return EntryRecord.newBuilder().setEntryId(id).setKey(key).setDueAtMs(dueAt).build();
  }

  private static List<String> ids(List<Window.Slot> slots) {
    return slots.stream().map(s -> s.entry.getEntryId()).toList();
  }

  @Test
  void theCommitPointStaysAtTheFirstUnsettledOffset() {
    Window window = new Window(false);
    window.assign(P0, 10);
    window.add(P0, 10, entry("a", "", 0));
    window.add(P0, 11, entry("b", "", 0));
    window.add(P0, 12, entry("c", "", 0));
    List<Window.Slot> leased = window.lease(10, 1);
    assertThat(ids(leased)).containsExactly("a", "b", "c");

    window.settle(leased.get(1));
    window.settle(leased.get(2));
    assertThat(window.commitPoints()).as("b and c are done, a is not: nothing past a may commit").isEmpty();
    window.settle(leased.get(0));
    assertThat(window.commitPoints()).isEqualTo(Map.of(P0, 13L));
    assertThat(window.commitPoints()).as("reported once").isEmpty();
  }

  @Test
  void theUnsettledCountLeavesOutRecordsSettledAheadOfTheCommitPointAndThoseRetentionDeleted() {
    Window window = new Window(false);
    window.assign(P0, 10);
    assertThat(window.held().get(P0).pending(0, 13)).as("nothing fetched yet: all three from the position").isEqualTo(3);
    assertThat(window.held().get(P0).pending(12, 13)).as("retention deleted 10 and 11 before they were fetched").isEqualTo(1);
    window.add(P0, 10, entry("a", "", 0));
    window.add(P0, 11, entry("b", "", 0));
    window.add(P0, 12, entry("c", "", 0));
    List<Window.Slot> leased = window.lease(10, 1);
    window.settle(leased.get(1));
    assertThat(window.commitPoints()).as("a is unsettled: the commit point stays at 10").isEmpty();
    assertThat(window.held().get(P0).pending(0, 13)).as("a and c; b was settled ahead of a").isEqualTo(2);
    assertThat(window.held().get(P0).pending(0, 15)).as("and two not fetched yet").isEqualTo(4);
    assertThat(window.held()).as("P1 is not assigned here").containsOnlyKeys(P0);
  }

  @Test
  void nothingIsLeasedBeforeItsDueTimeAndDueOrderIsOldestFirst() {
    Window window = new Window(false);
    window.assign(P0, 0);
    window.add(P0, 0, entry("late", "", 5_000));
    window.add(P0, 1, entry("early", "", 1_000));
    assertThat(window.lease(10, 999)).isEmpty();
    assertThat(ids(window.lease(10, 6_000))).containsExactly("early", "late");
    assertThat(window.nextDue()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void withPerKeyOrderARetryingEntryHoldsBackItsKeyOnly() {
    Window window = new Window(true);
    window.assign(P0, 0);
    window.add(P0, 0, entry("a1", "a", 0));
    window.add(P0, 1, entry("a2", "a", 0));
    window.add(P0, 2, entry("b1", "b", 0));
    List<Window.Slot> first = window.lease(10, 1);
    assertThat(ids(first)).containsExactly("a1", "b1");

    Window.Slot a1 = first.get(0);
    window.reschedule(a1, a1.entry.toBuilder().setAttempts(1).setDueAtMs(500).build());
    window.settle(first.get(1));
    assertThat(window.lease(10, 100)).as("a2 waits for a1's retry").isEmpty();
    List<Window.Slot> retry = window.lease(10, 500);
    assertThat(ids(retry)).containsExactly("a1");
    assertThat(retry.get(0).entry.getAttempts()).isEqualTo(1);
    window.settle(retry.get(0));
    assertThat(ids(window.lease(10, 500))).containsExactly("a2");
  }

  @Test
  void aRevokedPartitionDropsItsRecordsAndIgnoresLateSettlements() throws Exception {
    Window window = new Window(false);
    window.assign(P0, 0);
    window.assign(P1, 0);
    window.add(P0, 0, entry("p0", "", 0));
    window.add(P1, 0, entry("p1", "", 0));
    List<Window.Slot> leased = window.lease(10, 1);
    assertThat(window.size()).isEqualTo(2);

    Thread settler = new Thread(() -> {
      sleep(200);
      window.settle(leased.stream().filter(s -> s.topicPartition().equals(P0)).findFirst().orElseThrow());
    });
    settler.start();
    Map<TopicPartition, Long> points = window.revoke(List.of(P0), 5_000);
    assertThat(points).as("the revoke waited for the in-flight delivery, then commits past it").isEqualTo(Map.of(P0, 1L));
    assertThat(window.isAssigned(P0)).isFalse();

    Window.Slot p1 = leased.stream().filter(s -> s.topicPartition().equals(P1)).findFirst().orElseThrow();
    window.revoke(List.of(P1), 0);
    assertThat(window.settle(p1)).as("settling a lease of a partition that moved away is a no-op").isFalse();
    assertThat(window.size()).isZero();
    assertThat(window.leased()).isZero();
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
