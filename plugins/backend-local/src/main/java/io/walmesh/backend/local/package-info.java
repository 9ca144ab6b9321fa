/**
 * The {@code local} backend: an embedded durable log on RocksDB, shared by all local namespaces of
 * a node. Appends are group-committed (many writers share one fsync); a schedule on disk beside
 * the entries (two RocksDB indexes, by due time and by key) decides what is due and keeps per-key order.
 */
package io.walmesh.backend.local;
