/**
 * A small non-blocking memcached text-protocol client on a Vert.x {@code NetClient}: pipelined
 * connections with a response queue, a bounded pool per server, per-command timeouts and ketama
 * consistent hashing over several servers. Only what the {@code memcached} target needs.
 */
package io.walmesh.target.memcached.client;
