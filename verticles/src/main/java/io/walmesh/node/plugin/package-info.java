/**
 * The node's plugins: backend and target factories discovered with {@link java.util.ServiceLoader},
 * and the checks of a namespace's backend and target sections against them.
 */
package io.walmesh.node.plugin;
