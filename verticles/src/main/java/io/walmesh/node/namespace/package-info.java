/**
 * Namespaces: their configuration schema and validation ({@link io.walmesh.node.namespace.NamespaceConfig}),
 * and the durable file store that keeps them in the node's data directory.
 */
package io.walmesh.node.namespace;
