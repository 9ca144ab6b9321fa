/**
 * The admin HTTP/JSON API under {@code /v1/}: namespaces, dead-letter queues, health, and
 * Prometheus metrics at {@code /metrics}. Every error is JSON with a message a person can act on.
 */
package io.walmesh.node.admin;
