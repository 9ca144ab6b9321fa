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
 *   <li>{@code tls}: {@code true} (the JVM's trusted CAs) or an object {@code {"ca": PEM,
 *       "client-cert": PEM, "private-key": PEM}}, each PEM text, best given as a secret reference
 *       ({@code "${file:remote-ca.pem}"}); {@code ca} replaces the JVM's CAs, the client certificate
 *       identifies this region to a remote that wants one. The remote's certificate must name the
 *       endpoint's host.</li>
 *   <li>{@code token}: a bearer token sent with each write (the remote's {@code auth}), best given
 *       as {@code "${env:WALMESH_SECRET_...}"}; only with {@code tls}, so it never crosses a network
 *       in the clear.</li>
 * </ul>
 * Endpoints in the node's {@code targets.deny-destinations} are refused.
 */
final class WalmeshTargetOptions {
  static final long DEFAULT_TIMEOUT_MS = 10_000;
  static final Set<String> FIELDS = Set.of("endpoints", "namespace", "target", "timeout-ms", "tls", "token",
      AllowedDestinations.FIELD);
  private static final Set<String> TLS_FIELDS = Set.of("ca", "client-cert", "private-key");

  final List<SocketAddress> endpoints = new ArrayList<>();
  final String namespace;
  final String target;
  final long timeoutMs;
  final AllowedDestinations allowed;
  /** Whether calls use TLS. */
  final boolean tls;
  /** PEM texts, or null. */
  final String caPem;
  final String clientCertPem;
  final String privateKeyPem;
  /** The bearer token, or null. */
  final String token;

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
    Object tlsValue = config.getValue("tls");
    if (tlsValue == null || Boolean.FALSE.equals(tlsValue)) {
      tls = false;
      caPem = clientCertPem = privateKeyPem = null;
    } else if (Boolean.TRUE.equals(tlsValue)) {
      tls = true;
      caPem = clientCertPem = privateKeyPem = null;
    } else if (tlsValue instanceof JsonObject) {
      ConfigReader section = reader.object("tls");
      section.rejectUnknown(TLS_FIELDS);
      tls = true;
      caPem = pem(section, "ca", "CERTIFICATE");
      clientCertPem = pem(section, "client-cert", "CERTIFICATE");
      privateKeyPem = pem(section, "private-key", "PRIVATE KEY");
      if ((clientCertPem == null) != (privateKeyPem == null)) {
        throw new ConfigException(section.field(clientCertPem == null ? "client-cert" : "private-key"),
            "is required with " + (clientCertPem == null ? "private-key" : "client-cert") + ": a client certificate needs its key");
      }
    } else {
      throw new ConfigException(reader.field("tls"), "must be true, false, or an object with ca, client-cert and private-key");
    }
    token = reader.optString("token", null);
    if (token != null && (token.isBlank() || token.chars().anyMatch(c -> c < 0x21 || c > 0x7e))) {
      throw new ConfigException(reader.field("token"), "must be a non-empty token of printable characters without spaces");
    }
    if (token != null && !tls) {
      throw new ConfigException(reader.field("token"), "needs \"tls\": a bearer token must not cross the network in the clear");
    }
  }

  /** A PEM text field: an unresolved secret reference is accepted at validation (the node resolves it when creating the target). */
  private static String pem(ConfigReader section, String field, String kind) {
    String value = section.optString(field, null);
    if (value == null || value.startsWith("${")) {
      return value;
    }
    if (!value.contains("-----BEGIN") || !value.contains(kind + "-----")) {
      throw new ConfigException(section.field(field), "must be PEM text (-----BEGIN ..." + kind + "-----), best given as"
          + " \"${file:NAME.pem}\" from the node's secrets directory; got " + value.length() + " characters that are not");
    }
    return value;
  }
}
