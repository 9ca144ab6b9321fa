/**
 * The {@code local} backend: an embedded durable log on RocksDB, shared by all local namespaces of
 * a node. Appends are group-committed (many writers share one fsync); an in-memory schedule of
 * pending entries, rebuilt from disk at start, decides what is due and keeps per-key order.
 */
package io.walmesh.backend.local;
