package io.walmesh.shard;

import java.util.Objects;
import java.util.Set;

/**
 * A node that may own shards.
 *
 * @param id the node's stable id
 * @param allowedShards the shards this node may host; empty means any shard
 */
public record Member(String id, Set<String> allowedShards) {
  public Member {
    Objects.requireNonNull(id, "id");
    allowedShards = allowedShards == null ? Set.of() : Set.copyOf(allowedShards);
  }

  public static Member any(String id) {
    return new Member(id, Set.of());
  }

  /** Whether this node may host {@code shard}. */
  public boolean mayHost(String shard) {
    return allowedShards.isEmpty() || allowedShards.contains(shard);
  }
}
