package io.walmesh.target.memcached.client;

import io.vertx.core.buffer.Buffer;

/**
 * An item read with {@code gets}.
 *
 * @param key the item's key
 * @param flags the item's 32-bit client flags
 * @param data the item's value
 * @param cas the item's cas unique (unsigned 64-bit), for a following {@code cas}
 */
public record Item(String key, long flags, Buffer data, long cas) {
}
