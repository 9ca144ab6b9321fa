/**
 * The {@code cassandra} target: applies put, delete, raw CQL and batch mutations to Cassandra, each
 * {@code USING TIMESTAMP} of the entry's write time, so redelivery is idempotent and an older entry
 * never overwrites a newer one.
 */
package io.walmesh.target.cassandra;
