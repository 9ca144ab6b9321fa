/**
 * The {@code kafka} target: produces each entry to a Kafka topic, for pipelines whose own produce
 * failed and handed the record to walmesh to retry.
 */
package io.walmesh.target.kafka;
