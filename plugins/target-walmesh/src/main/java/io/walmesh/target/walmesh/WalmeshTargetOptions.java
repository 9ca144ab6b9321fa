package io.walmesh.target.walmesh;

import io.vertx.core.json.JsonObject;
import io.walmesh.spi.AllowedDestinations;
import io.walmesh.spi.DestinationPolicy;
import io.walmesh.spi.config.ConfigException;
import io.walmesh.spi.config.ConfigReader;
import io.vertx.core.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The config of a {@code walmesh} target.
 *
 * <ul>
 *   <li>{@code endpoints} (required): gRPC addresses ({@code host:port}) of gateways of the remote
 *       walmesh; any node of a mesh takes writes for every namespace. Calls rotate over them.</li>
 *   <li>{@code namespace}: the remote namespace, default the same name as the local one.</li>
 *   <li>{@code target}: a target of the remote namespace to name in each write, default none (its
 *       default targets).</li>
 *   <li>{@code timeout-ms}: the deadline of each call, default {@value #DEFAULT_TIMEOUT_MS}.</li>
 *   <li>{@code allowed-destinations}: optional host names and CIDR blocks the endpoints may be or
 *       resolve to (see {@link AllowedDestinations}).</li>
 * </ul>
 * Endpoints in the node's {@code targets.deny-destinations} are refused.
 */
final class WalmeshTargetOptions {
  static final long DEFAULT_TIMEOUT_MS = 10_000;
  static final Set<String> FIELDS = Set.of("endpoints", "namespace", "target", "timeout-ms",
      AllowedDestinations.FIELD);

  final List<SocketAddress> endpoints = new ArrayList<>();
  final String namespace;
  final String target;
  final long timeoutMs;
  final AllowedDestinations allowed;

  WalmeshTargetOptions(JsonObject config, String path) {
    this(config, path, DestinationPolicy.defaults());
  }

  WalmeshTargetOptions(JsonObject config, String path, DestinationPolicy policy) {
    ConfigReader reader = new ConfigReader(config, path);
    reader.rejectUnknown(FIELDS);
    allowed = AllowedDestinations.read(reader);
    if (!reader.has("endpoints") || reader.array("endpoints").isEmpty()) {
      throw new ConfigException(reader.field("endpoints"), "is required: the host:port gRPC addresses of the remote walmesh");
    }
    int i = 0;
    for (Object raw : reader.array("endpoints")) {
      String field = reader.field("endpoints") + "[" + i++ + "]";
      if (!(raw instanceof String s) || !s.matches("[^:\\s]+:\\d{1,5}")) {
        throw new ConfigException(field, "must be host:port, got " + raw);
      }
      int port = Integer.parseInt(s.substring(s.lastIndexOf(':') + 1));
      if (port < 1 || port > 65535) {
        throw new ConfigException(field, "port must be between 1 and 65535, got " + port);
      }
      String host = s.substring(0, s.lastIndexOf(':'));
      policy.checkLiteral(host, field);
      allowed.checkConfigured(host, field);
      endpoints.add(SocketAddress.inetSocketAddress(port, host));
    }
    namespace = reader.optString("namespace", null);
    if (namespace != null && namespace.isBlank()) {
      throw new ConfigException(reader.field("namespace"), "must not be blank; leave it out to use the local namespace's name");
    }
    target = reader.optString("target", "");
    timeoutMs = reader.optLong("timeout-ms", DEFAULT_TIMEOUT_MS, 1, 600_000);
  }
}
