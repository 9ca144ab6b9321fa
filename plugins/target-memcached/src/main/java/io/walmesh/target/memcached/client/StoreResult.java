package io.walmesh.target.memcached.client;

/** The answer to a storage command ({@code set}, {@code add}, {@code cas}). */
public enum StoreResult {
  /** The item was stored. */
  STORED,
  /** {@code add}: the key already exists. */
  NOT_STORED,
  /** {@code cas}: the item changed since its cas unique was read. */
  EXISTS,
  /** {@code cas}: the item no longer exists (deleted, expired or evicted). */
  NOT_FOUND
}
