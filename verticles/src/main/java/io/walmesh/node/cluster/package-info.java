/**
 * Where the state a node shares with its mesh lives: namespace documents, namespace states, the
 * shard assignment, node records and plugin jars. {@link io.walmesh.node.cluster.ClusterState} is
 * the seam; {@link io.walmesh.node.cluster.SingleNode} is a mesh of one (a standalone node) and
 * {@link io.walmesh.node.mesh.Mesh} is the Hazelcast mesh. Nothing outside those two asks whether
 * the node is clustered: the namespace, plugin and admin code runs the same steps on both.
 */
package io.walmesh.node.cluster;
