/** Prometheus metrics of a node, per namespace: writes, write latency, deliveries, retries, DLQ size, lag. */
package io.walmesh.node.metrics;
