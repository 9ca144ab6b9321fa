package io.walmesh.shard;

import java.util.Objects;

/**
 * A shard to place.
 *
 * @param name the shard's name (namespaces name their shard)
 * @param replicas how many nodes should own it, at least 1
 */
public record ShardSpec(String name, int replicas) {
  public ShardSpec {
    Objects.requireNonNull(name, "name");
    if (replicas < 1) {
      throw new IllegalArgumentException("shard " + name + ": replicas must be at least 1, got " + replicas);
    }
  }

  public static ShardSpec of(String name) {
    return new ShardSpec(name, 1);
  }
}
