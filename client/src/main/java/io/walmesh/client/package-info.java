/**
 * The walmesh Java client: {@link io.walmesh.client.WalmeshClient} writes entries over gRPC or the
 * Vert.x event bus, within a deadline, retrying only when a retry cannot store an entry twice.
 * Everything in this package is public API; {@code io.walmesh.client.impl} is not.
 */
package io.walmesh.client;
