/**
 * The {@code kafka} backend: a namespace's queue is a Kafka topic, with delay-tier topics for long
 * waits and a DLQ topic. See {@link io.walmesh.backend.kafka.KafkaBackend} for the mechanism and
 * docs/backend-kafka.md for operating it.
 */
package io.walmesh.backend.kafka;
