package io.walmesh.node;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A plain HTTP client of a node's admin API, as curl would use it. */
final class AdminHttp {
  record Response(int status, JsonObject body, String text, java.net.http.HttpHeaders headers) {
    /** The answer's header {@code name}, or null. */
    String header(String name) {
      return headers.firstValue(name).orElse(null);
    }
  }

  private final HttpClient client;
  private final String base;
  private final String token;

  AdminHttp(int port) {
    this("http://127.0.0.1:" + port, null, null);
  }

  /** An admin client of {@code base} ({@code https://localhost:PORT}) trusting {@code tls}'s CA, sending {@code token} (may be null). */
  AdminHttp(String base, io.walmesh.node.tls.ClientTls tls, String token) {
    HttpClient.Builder builder = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5));
    try {
      if (tls != null) {
        builder.sslContext(tls.sslContext());
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    this.client = builder.build();
    this.base = base;
    this.token = token;
  }

  Response call(String method, String path, Object body) {
    return call(method, path, body, null);
  }

  /** {@link #call(String, String, Object)} with an {@code If-Match} header (when not null). */
  Response call(String method, String path, Object body, String ifMatch) {
    return send(method, path, "application/json",
        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body.toString()), ifMatch);
  }

  /** Posts a file as the body, as {@code curl --data-binary @file} does. */
  Response postFile(String path, java.nio.file.Path file) {
    try {
      return send("POST", path, "application/java-archive", HttpRequest.BodyPublishers.ofFile(file), null);
    } catch (java.io.FileNotFoundException e) {
      throw new IllegalStateException(e);
    }
  }

  private Response send(String method, String path, String contentType, HttpRequest.BodyPublisher body, String ifMatch) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + path))
        .timeout(Duration.ofSeconds(60))
        .header("Content-Type", contentType)
        .method(method, body);
    if (token != null) {
      builder.header("Authorization", "Bearer " + token);
    }
    if (ifMatch != null) {
      builder.header("If-Match", ifMatch);
    }
    HttpRequest request = builder.build();
    try {
      HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
      JsonObject json = null;
      if (response.body().startsWith("{")) {
        json = new JsonObject(response.body());
      }
      return new Response(response.statusCode(), json, response.body(), response.headers());
    } catch (Exception e) {
      throw new IllegalStateException(method + " " + path + " failed: " + e, e);
    }
  }

  Response get(String path) {
    return call("GET", path, null);
  }

  Response post(String path, Object body) {
    return call("POST", path, body);
  }
}
