package io.walmesh.shard;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which members own each shard, with a generation that grows whenever ownership changes.
 *
 * @param generation 0 for the empty assignment; +1 on every change
 * @param owners shard name to the ids of its owners (empty list: no eligible member)
 */
public record Assignment(long generation, Map<String, List<String>> owners) {
  public static final Assignment EMPTY = new Assignment(0, Map.of());

  public Assignment {
    TreeMap<String, List<String>> copy = new TreeMap<>();
    owners.forEach((shard, ids) -> copy.put(shard, List.copyOf(ids)));
    owners = java.util.Collections.unmodifiableMap(copy);
  }

  /** The owners of a shard; empty when none. */
  public List<String> ownersOf(String shard) {
    return owners.getOrDefault(shard, List.of());
  }

  /** The shards a member owns. */
  public List<String> shardsOf(String memberId) {
    return owners.entrySet().stream().filter(e -> e.getValue().contains(memberId)).map(Map.Entry::getKey).toList();
  }

  /** Shards that no member can host right now. */
  public List<String> unassigned() {
    return owners.entrySet().stream().filter(e -> e.getValue().isEmpty()).map(Map.Entry::getKey).toList();
  }
}
