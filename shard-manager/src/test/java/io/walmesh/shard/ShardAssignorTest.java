package io.walmesh.shard;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ShardAssignorTest {

  private static List<ShardSpec> shards(int n) {
    return IntStream.range(0, n).mapToObj(i -> ShardSpec.of("s" + i)).toList();
  }

  private static List<Member> members(String... ids) {
    List<Member> members = new ArrayList<>();
    for (String id : ids) {
      members.add(Member.any(id));
    }
    return members;
  }

  private static int moved(Assignment before, Assignment after) {
    int moved = 0;
    for (Map.Entry<String, List<String>> e : after.owners().entrySet()) {
      List<String> old = before.ownersOf(e.getKey());
      moved += (int) e.getValue().stream().filter(id -> !old.contains(id)).count();
    }
    return moved;
  }

  @Test
  void shardsAreSpreadEvenlyAndTheFirstAssignmentIsGenerationOne() {
    Assignment a = ShardAssignor.assign(members("n1", "n2", "n3"), shards(9), Assignment.EMPTY);
    assertThat(a.generation()).isEqualTo(1);
    assertThat(a.shardsOf("n1")).hasSize(3);
    assertThat(a.shardsOf("n2")).hasSize(3);
    assertThat(a.shardsOf("n3")).hasSize(3);
    assertThat(a.unassigned()).isEmpty();
  }

  @Test
  void theSameInputsKeepTheAssignmentAndItsGeneration() {
    Assignment a = ShardAssignor.assign(members("n1", "n2"), shards(5), Assignment.EMPTY);
    Assignment b = ShardAssignor.assign(members("n2", "n1"), shards(5), a);
    assertThat(b).isEqualTo(a);
  }

  @Test
  void anAddedMemberReceivesItsShareAndNothingElseMoves() {
    Assignment three = ShardAssignor.assign(members("n1", "n2", "n3"), shards(12), Assignment.EMPTY);
    Assignment four = ShardAssignor.assign(members("n1", "n2", "n3", "n4"), shards(12), three);
    assertThat(four.generation()).isEqualTo(2);
    assertThat(four.shardsOf("n4")).hasSize(3);
    assertThat(moved(three, four)).as("only the shards the new member takes move").isEqualTo(3);
  }

  @Test
  void aDepartedMembersShardsMoveAndOnlyThose() {
    Assignment three = ShardAssignor.assign(members("n1", "n2", "n3"), shards(9), Assignment.EMPTY);
    List<String> lost = three.shardsOf("n3");
    Assignment two = ShardAssignor.assign(members("n1", "n2"), shards(9), three);
    assertThat(moved(three, two)).isEqualTo(lost.size());
    for (String shard : three.owners().keySet()) {
      if (!lost.contains(shard)) {
        assertThat(two.ownersOf(shard)).isEqualTo(three.ownersOf(shard));
      }
    }
    assertThat(Math.abs(two.shardsOf("n1").size() - two.shardsOf("n2").size())).isLessThanOrEqualTo(1);
  }

  @Test
  void nodeLabelsAreRespectedAndAShardNoNodeMayHostIsReported() {
    List<Member> members = List.of(new Member("busy-1", Set.of("busy")), new Member("busy-2", Set.of("busy")),
        new Member("general", Set.of("default", "batch")));
    List<ShardSpec> shards = List.of(ShardSpec.of("busy"), ShardSpec.of("default"), ShardSpec.of("batch"),
        ShardSpec.of("orphan"));
    Assignment a = ShardAssignor.assign(members, shards, Assignment.EMPTY);
    assertThat(a.ownersOf("busy")).containsAnyOf("busy-1", "busy-2").hasSize(1);
    assertThat(a.ownersOf("default")).containsExactly("general");
    assertThat(a.ownersOf("batch")).containsExactly("general");
    assertThat(a.unassigned()).containsExactly("orphan");
  }

  @Test
  void replicasGoToDistinctMembers() {
    Assignment a = ShardAssignor.assign(members("n1", "n2", "n3"), List.of(new ShardSpec("r", 2), new ShardSpec("q", 3)),
        Assignment.EMPTY);
    assertThat(a.ownersOf("r")).hasSize(2).doesNotHaveDuplicates();
    assertThat(a.ownersOf("q")).containsExactlyInAnyOrder("n1", "n2", "n3");
    Assignment fewer = ShardAssignor.assign(members("n1"), List.of(new ShardSpec("r", 2)), a);
    assertThat(fewer.ownersOf("r")).containsExactly("n1");
  }

  @Test
  void aRemovedShardDisappearsAndBumpsTheGeneration() {
    Assignment a = ShardAssignor.assign(members("n1"), shards(2), Assignment.EMPTY);
    Assignment b = ShardAssignor.assign(members("n1"), shards(1), a);
    assertThat(b.owners()).containsOnlyKeys("s0");
    assertThat(b.generation()).isEqualTo(a.generation() + 1);
  }
}
