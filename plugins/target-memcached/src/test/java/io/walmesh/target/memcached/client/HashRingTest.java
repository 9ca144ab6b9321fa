package io.walmesh.target.memcached.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Ketama placement: stable, spread over the servers, and a new server takes about its share. */
class HashRingTest {

  @Test
  void keysSpreadOverTheServersAndStayPut() {
    List<String> three = List.of("a:11211", "b:11211", "c:11211");
    HashRing<String> ring = new HashRing<>(three, three);
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 30_000; i++) {
      counts.merge(ring.serverFor("user:" + i), 1, Integer::sum);
    }
    assertThat(counts).containsOnlyKeys(three);
    assertThat(counts.values()).allSatisfy(n -> assertThat(n).isBetween(7_000, 13_000));
    assertThat(new HashRing<>(three, three).serverFor("user:42")).isEqualTo(ring.serverFor("user:42"));
  }

  @Test
  void aFourthServerMovesAboutAQuarterOfTheKeys() {
    List<String> three = List.of("a:11211", "b:11211", "c:11211");
    List<String> four = List.of("a:11211", "b:11211", "c:11211", "d:11211");
    HashRing<String> before = new HashRing<>(three, three);
    HashRing<String> after = new HashRing<>(four, four);
    int moved = 0;
    for (int i = 0; i < 20_000; i++) {
      String key = "user:" + i;
      if (!before.serverFor(key).equals(after.serverFor(key))) {
        moved++;
        assertThat(after.serverFor(key)).isEqualTo("d:11211");
      }
    }
    assertThat(moved).isBetween(3_000, 7_000);
  }

  @Test
  void oneServerOwnsEveryKey() {
    HashRing<String> ring = new HashRing<>(List.of("a:1"), List.of("a:1"));
    assertThat(ring.serverFor("anything")).isEqualTo("a:1");
  }
}
