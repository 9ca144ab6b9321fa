package io.walmesh.spi.target;

import io.vertx.core.buffer.Buffer;
import java.util.Map;

/**
 * One delivery attempt of an entry to a target.
 *
 * @param namespace the entry's namespace
 * @param entryId the entry's stable id, the same on every attempt and redelivery
 * @param key the entry's key, empty when none
 * @param payload the mutation, as written
 * @param headers the headers given at write time
 * @param attributes the per-request target attributes given at write time
 * @param writeTimeMs the entry's write time (epoch ms): use it to version idempotent writes
 * @param attempt this attempt's number, starting at 1
 */
public record Delivery(String namespace, String entryId, String key, Buffer payload, Map<String, String> headers,
                       Map<String, String> attributes, long writeTimeMs, int attempt) {
}
