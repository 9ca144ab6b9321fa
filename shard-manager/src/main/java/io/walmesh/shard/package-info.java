/**
 * Shard assignment as a pure function: {@link io.walmesh.shard.ShardAssignor#assign} maps the
 * members, the shards and the previous assignment to a new assignment with a generation, moving as
 * few shards as it can. The membership-driven manager that publishes it comes with the mesh.
 */
package io.walmesh.shard;
