/**
 * The backend SPI: the durable queue ("physical storage") of a namespace. The node appends
 * entries through a {@link io.walmesh.spi.backend.Backend} and consumes due entries from it.
 */
package io.walmesh.spi.backend;
