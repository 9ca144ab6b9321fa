/**
 * The {@code walmesh} target: writes each entry to a namespace of another walmesh, usually in
 * another region, with {@code WriteToLog} over gRPC, keeping its key, write time and an idempotency
 * key, so that region applies it to its own stores (cross-region replication).
 */
package io.walmesh.target.walmesh;
