/**
 * The {@code memcached} target: applies EVCache-style set / delete / touch entries to memcached,
 * versioned by the entry's write time in a sidecar key so that redelivered and late entries never
 * overwrite newer ones. Shipped as a hot-loadable plugin jar.
 */
package io.walmesh.target.memcached;
