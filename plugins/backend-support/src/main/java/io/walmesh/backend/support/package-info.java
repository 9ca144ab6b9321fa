/**
 * Pieces shared by backends whose queue cannot dedupe writes itself (SQS standard queues, Kafka
 * topics): a synced per-node store of idempotency keys and the append path that consults it.
 */
package io.walmesh.backend.support;
