/**
 * A walmesh node: {@link io.walmesh.node.Node} assembles the plugins, the namespaces, the gRPC
 * gateway and the admin API from {@link io.walmesh.node.NodeOptions}.
 */
package io.walmesh.node;
