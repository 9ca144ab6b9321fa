/**
 * The node's running namespaces: for each, its backend, targets and producer and consumer
 * verticles, deployed, updated live and removed by the {@link io.walmesh.node.runtime.NamespaceManager}.
 */
package io.walmesh.node.runtime;
