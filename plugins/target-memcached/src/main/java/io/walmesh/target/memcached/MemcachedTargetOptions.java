package io.walmesh.target.memcached;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.config.ConfigException;
import io.walmesh.spi.config.ConfigReader;
import io.walmesh.target.memcached.client.KeyRules;
import io.walmesh.target.memcached.client.ServerAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The config of a {@code memcached} target.
 * <ul>
 *   <li>{@code servers} (required): a non-empty list of {@code "host:port"}; with several, each key
 *       lives on one server chosen by ketama consistent hashing (no failover).</li>
 *   <li>{@code timeout-ms}: how long one command (or connect) may take, default {@value #DEFAULT_TIMEOUT_MS}.</li>
 *   <li>{@code max-connections}: pipelined connections per server, default {@value #DEFAULT_MAX_CONNECTIONS}.</li>
 *   <li>{@code key-prefix}: prepended to every key, default none.</li>
 *   <li>{@code tombstone-retention-s}: how long a delete's tombstone (and a set's version after its
 *       value expires) stops older entries, default {@value #DEFAULT_TOMBSTONE_RETENTION_S}.</li>
 *   <li>{@code max-value-bytes}: the largest value accepted; larger ones are dead-lettered, default
 *       {@value #DEFAULT_MAX_VALUE_BYTES} (memcached's default item size limit is 1 MiB including
 *       the key and item header).</li>
 * </ul>
 */
final class MemcachedTargetOptions {
  /** Default {@code timeout-ms}: 2000. */
  static final int DEFAULT_TIMEOUT_MS = 2_000;
  /** Default {@code max-connections}: 2. */
  static final int DEFAULT_MAX_CONNECTIONS = 2;
  /** Default {@code tombstone-retention-s}: 3600 (one hour). */
  static final int DEFAULT_TOMBSTONE_RETENTION_S = 3_600;
  /** Default {@code max-value-bytes}: 1000000. */
  static final int DEFAULT_MAX_VALUE_BYTES = 1_000_000;
  /** The longest {@code ttl-s} of an entry: 365 days. */
  static final int MAX_TTL_S = 365 * 24 * 3_600;
  /** The suffix of a key's sidecar version key. */
  static final String VERSION_SUFFIX = ":walmesh-version";
  static final Set<String> FIELDS = Set.of("servers", "timeout-ms", "max-connections", "key-prefix",
      "tombstone-retention-s", "max-value-bytes");

  final List<ServerAddress> servers = new ArrayList<>();
  final int timeoutMs;
  final int maxConnections;
  final String keyPrefix;
  final int tombstoneRetentionS;
  final int maxValueBytes;

  MemcachedTargetOptions(JsonObject json, String path) {
    ConfigReader reader = new ConfigReader(json, path);
    reader.rejectUnknown(FIELDS);
    if (!reader.has("servers")) {
      throw new ConfigException(reader.field("servers"), "required, a non-empty list of \"host:port\"");
    }
    JsonArray list = reader.array("servers");
    if (list.isEmpty()) {
      throw new ConfigException(reader.field("servers"), "must list at least one \"host:port\"");
    }
    for (int i = 0; i < list.size(); i++) {
      String field = reader.field("servers") + "[" + i + "]";
      if (!(list.getValue(i) instanceof String server)) {
        throw new ConfigException(field, "must be a \"host:port\" string, got " + list.getValue(i));
      }
      try {
        ServerAddress address = ServerAddress.parse(server);
        if (servers.contains(address)) {
          throw new ConfigException(field, "lists " + address + " twice");
        }
        servers.add(address);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(field, e.getMessage());
      }
    }
    timeoutMs = reader.optInt("timeout-ms", DEFAULT_TIMEOUT_MS, 10, 600_000);
    maxConnections = reader.optInt("max-connections", DEFAULT_MAX_CONNECTIONS, 1, 64);
    keyPrefix = reader.optString("key-prefix", "");
    if (!keyPrefix.isEmpty()) {
      String problem = KeyRules.problem(keyPrefix);
      if (problem != null) {
        throw new ConfigException(reader.field("key-prefix"), problem.replace("key ", "the prefix "));
      }
      if (keyPrefix.length() > 200) {
        throw new ConfigException(reader.field("key-prefix"), "must be at most 200 characters, leaving room for keys");
      }
    }
    tombstoneRetentionS = reader.optInt("tombstone-retention-s", DEFAULT_TOMBSTONE_RETENTION_S, 1, 30 * 24 * 3_600);
    maxValueBytes = reader.optInt("max-value-bytes", DEFAULT_MAX_VALUE_BYTES, 1, 128 * 1024 * 1024);
  }
}
