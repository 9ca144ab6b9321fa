/**
 * The target SPI: where entries are delivered after they are durable (an HTTP service, a cache,
 * a table, a topic). A target reports each delivery as done, failed for now, or failed for good.
 */
package io.walmesh.spi.target;
