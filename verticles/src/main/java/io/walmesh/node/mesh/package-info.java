/**
 * The mesh: a node joining its Hazelcast-clustered Vert.x peers, the leader-computed shard
 * assignment published in a cluster map, and the replicated namespace documents and plugin jars
 * every node follows.
 */
package io.walmesh.node.mesh;
