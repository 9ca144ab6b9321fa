package io.walmesh.target.redis;

import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClientOptions;
import io.vertx.redis.client.RedisOptions;
import io.walmesh.spi.config.ConfigException;
import io.walmesh.spi.config.ConfigReader;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Set;

/**
 * The config of a {@code redis} target.
 *
 * <ul>
 *   <li>{@code endpoint} (required): {@code redis://host[:port][/db]} or {@code rediss://} for TLS;
 *       port 6379 and database 0 by default.</li>
 *   <li>{@code password}: the Redis password ({@code AUTH}); or put it in the endpoint as
 *       {@code redis://:password@host}, not both.</li>
 *   <li>{@code max-pool-size}: connections to Redis, default {@value #DEFAULT_MAX_POOL_SIZE}.</li>
 *   <li>{@code timeout-ms}: bounds connecting and each delivery, default {@value #DEFAULT_TIMEOUT_MS};
 *       a delivery that takes longer fails and is retried.</li>
 *   <li>{@code key-prefix}: prepended to every key, default none.</li>
 *   <li>{@code tombstone-retention-ms}: how long the version of a deleted or expired key is kept so
 *       that a late, older write cannot resurrect it, default {@value #DEFAULT_TOMBSTONE_RETENTION_MS}
 *       (one day).</li>
 * </ul>
 */
final class RedisTargetOptions {
  static final int DEFAULT_MAX_POOL_SIZE = 8;
  static final long DEFAULT_TIMEOUT_MS = 5_000;
  static final long DEFAULT_TOMBSTONE_RETENTION_MS = 86_400_000;
  /** Deliveries waiting for a pooled connection before new ones fail (retryably). */
  static final int MAX_POOL_WAITING = 1_024;
  static final Set<String> FIELDS = Set.of("endpoint", "password", "max-pool-size", "timeout-ms", "key-prefix",
      "tombstone-retention-ms");

  final String endpoint;
  /** The endpoint without credentials, for messages. */
  final String displayEndpoint;
  final String password;
  final int maxPoolSize;
  final long timeoutMs;
  final String keyPrefix;
  final long tombstoneRetentionMs;

  RedisTargetOptions(JsonObject config, String path) {
    ConfigReader reader = new ConfigReader(config, path);
    reader.rejectUnknown(FIELDS);
    endpoint = reader.requireString("endpoint");
    URI uri = parseEndpoint(reader, endpoint);
    displayEndpoint = uri.getScheme() + "://" + uri.getHost() + ":" + (uri.getPort() > 0 ? uri.getPort() : 6379)
        + (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "" : uri.getRawPath());
    password = reader.optString("password", null);
    if (password != null) {
      if (password.isEmpty()) {
        throw new ConfigException(reader.field("password"), "must not be empty; leave it out when Redis has no password");
      }
      if (uri.getRawUserInfo() != null) {
        throw new ConfigException(reader.field("password"), "the endpoint already carries credentials; give the password in one place");
      }
    }
    maxPoolSize = reader.optInt("max-pool-size", DEFAULT_MAX_POOL_SIZE, 1, 1_024);
    timeoutMs = reader.optLong("timeout-ms", DEFAULT_TIMEOUT_MS, 1, 600_000);
    keyPrefix = reader.optString("key-prefix", "");
    tombstoneRetentionMs = reader.optLong("tombstone-retention-ms", DEFAULT_TOMBSTONE_RETENTION_MS, 1_000,
        365L * 86_400_000);
  }

  private static URI parseEndpoint(ConfigReader reader, String raw) {
    String field = reader.field("endpoint");
    String expected = "must look like redis://host:port[/db] or rediss://host:port[/db], got \"" + redact(raw) + "\"";
    URI uri;
    try {
      uri = new URI(raw);
    } catch (URISyntaxException e) {
      throw new ConfigException(field, expected);
    }
    if (uri.getScheme() == null || !(uri.getScheme().equals("redis") || uri.getScheme().equals("rediss"))
        || uri.getHost() == null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw new ConfigException(field, expected);
    }
    String db = uri.getRawPath() == null ? "" : uri.getRawPath();
    if (!db.isEmpty() && !db.equals("/") && !db.substring(1).matches("\\d{1,5}")) {
      throw new ConfigException(field, "the path must be a database number, like redis://host:6379/0, got \""
          + redact(raw) + "\"");
    }
    return uri;
  }

  /** The endpoint with any password replaced by {@code ***}. */
  private static String redact(String raw) {
    return raw.replaceAll("//[^/@]*@", "//***@");
  }

  RedisOptions toRedisOptions() {
    RedisOptions options = new RedisOptions()
        .setConnectionString(endpoint)
        .setMaxPoolSize(maxPoolSize)
        .setMaxPoolWaiting(MAX_POOL_WAITING)
        .setNetClientOptions(new NetClientOptions()
            .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, timeoutMs))
            .setTcpNoDelay(true)
            .setTcpKeepAlive(true));
    if (password != null) {
      options.setPassword(password);
    }
    return options;
  }
}
