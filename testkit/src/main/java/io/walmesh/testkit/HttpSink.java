package io.walmesh.testkit;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;

/**
 * A real HTTP server on 127.0.0.1 that records every request walmesh's {@code http} target sends
 * and answers with a status the test chooses per request (200 by default), so tests can make a
 * target fail for a while, fail for good, or work.
 */
public final class HttpSink implements AutoCloseable {

  /** One request as received. */
  public record Received(String path, String entryId, String key, int attempt, long writeTimeMs, String body,
                         Map<String, String> headers, long receivedAtMs, int answeredStatus) {
  }

  private final Vertx vertx;
  /** In arrival order; a queue, not a copy-on-write list, which copied every request so far at each new one. */
  private final java.util.Queue<Received> received = new java.util.concurrent.ConcurrentLinkedQueue<>();
  private volatile ToIntFunction<Received> responder = r -> 200;
  private HttpServer server;

  public HttpSink(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Starts the server on a free port. */
  public HttpSink start() {
    try {
      server = vertx.createHttpServer()
          .requestHandler(this::handle)
          .listen(0, "127.0.0.1")
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the HTTP sink", e);
    }
    return this;
  }

  /** The URL to configure as an {@code http} target, with {@code path} appended. */
  public String url(String path) {
    return "http://127.0.0.1:" + server.actualPort() + path;
  }

  /** Chooses the status answered to each request; a request answered 2xx counts as delivered. */
  public HttpSink respond(ToIntFunction<Received> responder) {
    this.responder = responder;
    return this;
  }

  private void handle(HttpServerRequest request) {
    request.body().onSuccess(body -> {
      Map<String, String> headers = new HashMap<>();
      request.headers().forEach(h -> headers.put(h.getKey().toLowerCase(), h.getValue()));
      Received probe = new Received(request.path(), headers.getOrDefault("walmesh-entry-id", ""),
          headers.getOrDefault("walmesh-key", ""), parseInt(headers.get("walmesh-attempt")),
          parseLong(headers.get("walmesh-write-time")), body.toString(), headers, System.currentTimeMillis(), 0);
      int status;
      try {
        status = responder.applyAsInt(probe);
      } catch (RuntimeException e) {
        status = 500;
      }
      received.add(new Received(probe.path(), probe.entryId(), probe.key(), probe.attempt(), probe.writeTimeMs(),
          probe.body(), headers, probe.receivedAtMs(), status));
      request.response().setStatusCode(status).end(status >= 300 ? "sink answered " + status : "");
    });
  }

  /** Every request received, in arrival order, with the status it was answered. */
  public List<Received> received() {
    return new ArrayList<>(received);
  }

  /** How many requests arrived so far. */
  public int receivedCount() {
    return received.size();
  }

  /** The requests answered 2xx, in arrival order. */
  public List<Received> delivered() {
    return received.stream().filter(r -> r.answeredStatus() >= 200 && r.answeredStatus() < 300).toList();
  }

  /** The body of the last request answered 2xx for an entry key ({@code Walmesh-Key}), or empty. */
  public java.util.Optional<String> lastDeliveredBody(String key) {
    List<Received> delivered = delivered().stream().filter(r -> r.key().equals(key)).toList();
    return delivered.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(delivered.get(delivered.size() - 1).body());
  }

  /** The distinct entry ids delivered (answered 2xx). */
  public Set<String> deliveredIds() {
    Set<String> ids = new LinkedHashSet<>();
    delivered().forEach(r -> ids.add(r.entryId()));
    return ids;
  }

  /** The distinct bodies delivered (answered 2xx). */
  public Set<String> deliveredBodies() {
    Set<String> bodies = new LinkedHashSet<>();
    delivered().forEach(r -> bodies.add(r.body()));
    return bodies;
  }

  public void clear() {
    received.clear();
  }

  private static int parseInt(String s) {
    return s == null ? 0 : Integer.parseInt(s);
  }

  private static long parseLong(String s) {
    return s == null ? 0 : Long.parseLong(s);
  }

  @Override
  public void close() {
    if (server != null) {
      server.close();
    }
  }
}
