package io.walmesh.node.cli;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The admin endpoint option shared by the CLI commands, and the HTTP calls to it. A failed call
 * prints the node's error message and exits non-zero.
 */
class AdminClient {
  @Option(names = "--admin", defaultValue = "${env:WALMESH_ADMIN:-http://127.0.0.1:8080}",
      description = "Admin API base URL (default: $WALMESH_ADMIN or http://127.0.0.1:8080).")
  String admin;

  @picocli.CommandLine.Mixin
  ClientCredentials tls = new ClientCredentials();

  /** Calls the admin API; prints the JSON answer, or the error, and returns the exit code. */
  int call(String method, String path, String body) {
    return call(method, path, "application/json",
        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
  }

  /** Calls the admin API with a body of any type; prints the JSON answer, or the error, and returns the exit code. */
  int call(String method, String path, String contentType, HttpRequest.BodyPublisher body) {
    return call(method, path, contentType, body, java.util.Map.of());
  }

  /** {@link #call(String, String, String, HttpRequest.BodyPublisher)} with extra request headers. */
  int call(String method, String path, String contentType, HttpRequest.BodyPublisher body, java.util.Map<String, String> headers) {
    Answer answer = send(method, path, contentType, body, Duration.ofSeconds(120), headers);
    if (answer.exitCode() == 0) {
      System.out.println(answer.body());
    }
    return answer.exitCode();
  }

  /** An admin API answer: the exit code the CLI ends with (0 when the call succeeded), and the body on success. */
  record Answer(int exitCode, String body) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  /** Calls the admin API; prints an error (and answers its exit code) but not a successful body. */
  Answer send(String method, String path, String contentType, HttpRequest.BodyPublisher body) {
    return send(method, path, contentType, body, Duration.ofSeconds(120));
  }

  /** Calls the admin API, waiting up to {@code timeout} for the answer. */
  Answer send(String method, String path, String contentType, HttpRequest.BodyPublisher body, Duration timeout) {
    return send(method, path, contentType, body, timeout, java.util.Map.of());
  }

  private Answer send(String method, String path, String contentType, HttpRequest.BodyPublisher body, Duration timeout,
                      java.util.Map<String, String> headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(admin.replaceAll("/+$", "") + path))
        .timeout(timeout)
        .header("Content-Type", contentType)
        .method(method, body);
    headers.forEach(request::header);
    if (tls.token != null && !tls.token.isBlank()) {
      request.header("Authorization", "Bearer " + tls.token.trim());
    }
    HttpResponse<String> response;
    try {
      HttpClient.Builder client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5));
      if (tls.clientTls() != null) {
        try {
          client.sslContext(tls.clientTls().sslContext());
        } catch (Exception e) {
          System.err.println("error: the TLS files given cannot be used: " + e.getMessage());
          return new Answer(2, null);
        }
      }
      response = client.build().send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (ConnectException e) {
      System.err.println("error: no walmesh node answers at " + admin + " (start one with `walmesh dev`, or set --admin)");
      return new Answer(3, null);
    } catch (javax.net.ssl.SSLException e) {
      System.err.println("error: TLS with " + admin + " failed: " + e.getMessage()
          + " (an https:// node needs --tls-ca naming the CA that signed its certificate; --tls-cert/--tls-key when it asks for a client certificate)");
      return new Answer(3, null);
    } catch (IOException e) {
      System.err.println("error: calling " + admin + path + " failed: " + e.getMessage()
          + (admin.startsWith("http://") && String.valueOf(e.getMessage()).contains("closed") ? " (does the node use TLS? then use https:// and --tls-ca)" : ""));
      return new Answer(3, null);

    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Answer(3, null);
    }
    if (response.statusCode() >= 400) {
      String message = response.body();
      try {
        message = new JsonObject(response.body()).getString("error", message);
      } catch (DecodeException ignored) {
        // not JSON: print as is
      }
      System.err.println("error (" + response.statusCode() + "): " + message);
      return new Answer(1, null);
    }
    return new Answer(0, response.body());
  }
}
