/**
 * Producers: one {@link io.walmesh.node.producer.ProducerVerticle} per namespace takes writes on
 * the namespace's event-bus address, validates them and appends them durably to the backend.
 */
package io.walmesh.node.producer;
