/**
 * The node's plugins: built-in backend and target factories found on the class path, and target
 * plugins hot-loaded from jars at runtime, each in its own child-first class loader
 * ({@link io.walmesh.node.plugin.PluginManager}).
 */
package io.walmesh.node.plugin;
