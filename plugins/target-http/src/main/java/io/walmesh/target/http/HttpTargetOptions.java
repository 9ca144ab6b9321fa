package io.walmesh.target.http;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.config.ConfigException;
import io.walmesh.spi.config.ConfigReader;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The config of an {@code http} target.
 *
 * <ul>
 *   <li>{@code url} (required): where to send entries, {@code http://} or {@code https://}.</li>
 *   <li>{@code method}: {@code POST} (default) or {@code PUT}.</li>
 *   <li>{@code timeout-ms}: per request, default {@value #DEFAULT_TIMEOUT_MS}.</li>
 *   <li>{@code permanent-statuses}: statuses that send the entry straight to the DLQ,
 *       default {@code [400, 404, 405, 410, 413, 415, 422]}; every other non-2xx is retried.</li>
 *   <li>{@code headers}: static headers added to every request.</li>
 * </ul>
 */
final class HttpTargetOptions {
  static final long DEFAULT_TIMEOUT_MS = 10_000;
  static final Set<Integer> DEFAULT_PERMANENT_STATUSES = Set.of(400, 404, 405, 410, 413, 415, 422);
  private static final Set<String> FIELDS = Set.of("url", "method", "timeout-ms", "permanent-statuses", "headers");

  final URI url;
  final String method;
  final long timeoutMs;
  final Set<Integer> permanentStatuses;
  final Map<String, String> headers;

  HttpTargetOptions(JsonObject config, String path) {
    ConfigReader reader = new ConfigReader(config, path);
    reader.rejectUnknown(FIELDS);
    String rawUrl = reader.requireString("url");
    try {
      url = new URI(rawUrl);
    } catch (URISyntaxException e) {
      throw new ConfigException(reader.field("url"), "not a valid URL: " + e.getMessage());
    }
    if (url.getScheme() == null || !(url.getScheme().equals("http") || url.getScheme().equals("https"))
        || url.getHost() == null) {
      throw new ConfigException(reader.field("url"), "must be an http:// or https:// URL with a host, got \"" + rawUrl + "\"");
    }
    method = reader.optString("method", "POST").toUpperCase();
    if (!method.equals("POST") && !method.equals("PUT")) {
      throw new ConfigException(reader.field("method"), "must be POST or PUT, got \"" + method + "\"");
    }
    timeoutMs = reader.optLong("timeout-ms", DEFAULT_TIMEOUT_MS, 1, 3_600_000);
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
    headers = new HashMap<>();
    ConfigReader headerReader = reader.object("headers");
    for (String name : headerReader.json().fieldNames()) {
      headers.put(name, headerReader.requireString(name));
    }
  }

  int port() {
    return url.getPort() > 0 ? url.getPort() : (url.getScheme().equals("https") ? 443 : 80);
  }

  String pathAndQuery() {
    String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
    return url.getRawQuery() == null ? path : path + "?" + url.getRawQuery();
  }
}
