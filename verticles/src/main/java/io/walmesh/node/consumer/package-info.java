/**
 * Consumers: one {@link io.walmesh.node.consumer.ConsumerVerticle} per namespace leases due entries
 * from the backend, delivers them to their targets, and settles each as delivered, retried with
 * backoff, or dead-lettered.
 */
package io.walmesh.node.consumer;
