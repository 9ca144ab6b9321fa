package io.walmesh.target.http;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.AllowedDestinations;
import io.walmesh.spi.DestinationPolicy;
import io.walmesh.spi.config.ConfigException;
import io.walmesh.spi.config.ConfigReader;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The config of an {@code http} target.
 *
 * <ul>
 *   <li>{@code url} (required): where to send entries, {@code http://} or {@code https://}.</li>
 *   <li>{@code method}: {@code POST} (default) or {@code PUT}.</li>
 *   <li>{@code timeout-ms}: per request, default {@value #DEFAULT_TIMEOUT_MS}.</li>
 *   <li>{@code max-connections}: connections to the service, default {@value #DEFAULT_MAX_CONNECTIONS}.</li>
 *   <li>{@code keep-alive-secs}: an idle connection is closed after it, default {@value #DEFAULT_KEEP_ALIVE_SECS}. Keep
 *       it below the service's own idle timeout, so that the node never sends on a connection the service is closing
 *       (such a delivery fails and is retried); within that, longer spares writes that come in bursts minutes apart new
 *       connections (and TLS handshakes).</li>
 *   <li>{@code permanent-statuses}: statuses that send the entry straight to the DLQ,
 *       default {@code [400, 404, 405, 410, 413, 415, 422]}; every other non-2xx is retried.</li>
 *   <li>{@code headers}: static headers added to every request (e.g. {@code Authorization},
 *       {@code Content-Type}); entry headers never override them. Names must be HTTP tokens, values
 *       without control characters; framing, hop-by-hop and {@code Host} headers are refused (see
 *       {@link HttpHeaderRules}).</li>
 *   <li>{@code allowed-destinations}: optional host names and CIDR blocks the target may connect to
 *       (see {@link AllowedDestinations}).</li>
 * </ul>
 * Credentials in the URL ({@code https://user:pass@host/}) are sent as {@code Authorization: Basic}
 * and never appear in messages.
 */
final class HttpTargetOptions {
  static final long DEFAULT_TIMEOUT_MS = 10_000;
  /** Connections to the service per node and namespace target; HTTP/1.1 sends one request at a time on each. */
  static final int DEFAULT_MAX_CONNECTIONS = 32;
  static final int MAX_CONNECTIONS = 1_024;
  /** An idle pooled connection is closed after this many seconds (Vert.x's HTTP/1.1 keep-alive default). */
  static final int DEFAULT_KEEP_ALIVE_SECS = 60;
  static final int MAX_KEEP_ALIVE_SECS = 86_400;
  static final Set<Integer> DEFAULT_PERMANENT_STATUSES = Set.of(400, 404, 405, 410, 413, 415, 422);
  private static final Set<String> FIELDS = Set.of("url", "method", "timeout-ms", "max-connections", "keep-alive-secs",
      "permanent-statuses", "headers", AllowedDestinations.FIELD);

  final URI url;
  final String method;
  final long timeoutMs;
  final int maxConnections;
  /** Seconds an idle pooled connection to the service is kept open. */
  final int keepAliveSecs;
  final Set<Integer> permanentStatuses;
  /** The static headers, credentials from the URL included; entry headers never override them. */
  final Map<String, String> headers;
  final AllowedDestinations allowed;
  /** The URL without credentials and query, for messages. */
  final String displayUrl;
  /** The URL's host without IPv6 brackets. */
  final String host;

  HttpTargetOptions(JsonObject config, String path) {
    this(config, path, DestinationPolicy.defaults());
  }

  HttpTargetOptions(JsonObject config, String path, DestinationPolicy policy) {
    ConfigReader reader = new ConfigReader(config, path);
    reader.rejectUnknown(FIELDS);
    String rawUrl = reader.requireString("url");
    try {
      url = new URI(rawUrl);
    } catch (URISyntaxException e) {
      // the message of a URISyntaxException quotes the input, which may hold credentials
      throw new ConfigException(reader.field("url"), "not a valid URL: " + e.getReason() + " at index " + e.getIndex());
    }
    if (url.getScheme() == null || !(url.getScheme().equals("http") || url.getScheme().equals("https"))
        || url.getHost() == null) {
      throw new ConfigException(reader.field("url"), "must be an http:// or https:// URL with a host");
    }
    String bracketed = url.getHost();
    host = bracketed.startsWith("[") && bracketed.endsWith("]") ? bracketed.substring(1, bracketed.length() - 1) : bracketed;
    displayUrl = url.getScheme() + "://" + bracketed + (url.getPort() > 0 ? ":" + url.getPort() : "")
        + (url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath());
    policy.checkLiteral(host, reader.field("url"));
    allowed = AllowedDestinations.read(reader);
    allowed.checkConfigured(host, reader.field("url"));
    method = reader.optString("method", "POST").toUpperCase();
    if (!method.equals("POST") && !method.equals("PUT")) {
      throw new ConfigException(reader.field("method"), "must be POST or PUT, got \"" + method + "\"");
    }
    timeoutMs = reader.optLong("timeout-ms", DEFAULT_TIMEOUT_MS, 1, 3_600_000);
    maxConnections = reader.optInt("max-connections", DEFAULT_MAX_CONNECTIONS, 1, MAX_CONNECTIONS);
    keepAliveSecs = reader.optInt("keep-alive-secs", DEFAULT_KEEP_ALIVE_SECS, 1, MAX_KEEP_ALIVE_SECS);
    if (reader.has("permanent-statuses")) {
      JsonArray statuses = reader.array("permanent-statuses");
      permanentStatuses = new HashSet<>();
      for (int i = 0; i < statuses.size(); i++) {
        Object status = statuses.getValue(i);
        if (!(status instanceof Integer code) || code < 100 || code > 599) {
          throw new ConfigException(reader.field("permanent-statuses") + "[" + i + "]", "must be an HTTP status code (100-599), got " + status);
        }
        permanentStatuses.add(code);
      }
    } else {
      permanentStatuses = DEFAULT_PERMANENT_STATUSES;
    }
    Map<String, String> statics = new LinkedHashMap<>();
    ConfigReader headerReader = reader.object("headers");
    for (String name : headerReader.json().fieldNames()) {
      String value = headerReader.requireString(name);
      String problem = HttpHeaderRules.staticHeaderProblem(name, value);
      if (problem != null) {
        throw new ConfigException(headerReader.field(name), problem);
      }
      if (statics.keySet().stream().anyMatch(name::equalsIgnoreCase)) {
        throw new ConfigException(headerReader.field(name), "is given twice (header names are case-insensitive)");
      }
      statics.put(name, value);
    }
    if (url.getRawUserInfo() != null) {
      if (statics.keySet().stream().anyMatch("Authorization"::equalsIgnoreCase)) {
        throw new ConfigException(reader.field("url"), "has credentials and headers has Authorization; give only one");
      }
      statics.put("Authorization", "Basic "
          + Base64.getEncoder().encodeToString(url.getUserInfo().getBytes(StandardCharsets.UTF_8)));
    }
    headers = Map.copyOf(statics);
  }

  int port() {
    return url.getPort() > 0 ? url.getPort() : (url.getScheme().equals("https") ? 443 : 80);
  }

  String pathAndQuery() {
    String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
    return url.getRawQuery() == null ? path : path + "?" + url.getRawQuery();
  }
}
