/**
 * The {@code redis} target: applies small JSON commands (set, delete, expire, hset, hdel) to a
 * Redis server, versioned by each entry's write time in one Lua script, so redelivery is idempotent
 * and an older entry never overwrites a newer one.
 */
package io.walmesh.target.redis;
