package io.walmesh.target.http;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import io.walmesh.spi.DestinationPolicy;
import io.walmesh.spi.target.Delivery;
import io.walmesh.spi.target.DeliveryException;
import io.walmesh.spi.target.Target;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Sends each delivery as one HTTP request. The body is the payload; the headers are, in order of
 * precedence: walmesh's {@code Walmesh-Entry-Id}, {@code Walmesh-Namespace}, {@code Walmesh-Key},
 * {@code Walmesh-Attempt}, {@code Walmesh-Write-Time} and {@code Walmesh-Attr-<name>} (one per
 * target attribute whose name is a header token), the target's static {@code headers}, then those
 * of the entry's own headers that {@link HttpHeaderRules} lets through, and finally
 * {@code Content-Type: application/octet-stream} when nobody set one.
 *
 * <p>Before connecting, the host is resolved and checked against the node's deny-list and the
 * target's {@code allowed-destinations}; the request then goes to the checked address. Failure
 * messages name the URL without credentials or query and quote at most
 * {@value #BODY_SNIPPET_CHARS} sanitized characters of an error body.
 */
final class HttpTarget implements Target {
  static final String ENTRY_ID = "Walmesh-Entry-Id";
  static final String NAMESPACE = "Walmesh-Namespace";
  static final String KEY = "Walmesh-Key";
  static final String ATTEMPT = "Walmesh-Attempt";
  static final String WRITE_TIME = "Walmesh-Write-Time";
  static final String ATTRIBUTE_PREFIX = "Walmesh-Attr-";
  static final int BODY_SNIPPET_CHARS = 100;
  /** Bytes of an answer's body kept for the error message (of which {@link #BODY_SNIPPET_CHARS} characters show). */
  static final int MAX_BODY_KEPT = 4_096;
  /** Bytes of an answer's body read before the request is reset. */
  static final long MAX_BODY_READ = 1L << 20;
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,200}");

  private final Vertx vertx;
  private final HttpTargetOptions options;
  private final HttpClient client;
  private final DestinationPolicy policy;
  private final String what;
  private final Set<String> configured;

  HttpTarget(Vertx vertx, String name, HttpTargetOptions options, DestinationPolicy policy) {
    this.vertx = vertx;
    this.options = options;
    this.policy = policy;
    this.what = "http target " + name + " (" + options.method + " " + options.displayUrl + ")";
    this.configured = options.headers.keySet().stream().map(h -> h.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
    this.client = vertx.createHttpClient(new HttpClientOptions()
        .setSsl(options.url.getScheme().equals("https"))
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, options.timeoutMs))
        .setKeepAliveTimeout(options.keepAliveSecs),
        new PoolOptions().setHttp1MaxSize(options.maxConnections));
  }

  @Override
  public Future<Void> deliver(Delivery delivery) {
    // built with add/set one by one: MultiMap.setAll(Map) clears what was set before
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    for (Map.Entry<String, String> header : delivery.headers().entrySet()) {
      if (HttpHeaderRules.forwardable(header.getKey(), header.getValue(), configured)) {
        headers.set(header.getKey(), header.getValue());
      }
    }
    options.headers.forEach(headers::set);
    if (!headers.contains("Content-Type")) {
      headers.set("Content-Type", "application/octet-stream");
    }
    for (Map.Entry<String, String> attribute : delivery.attributes().entrySet()) {
      String value = attribute.getValue();
      if (TOKEN.matcher(attribute.getKey()).matches() && value != null
          && HttpHeaderRules.forwardable("x", value, Set.of())) {
        headers.set(ATTRIBUTE_PREFIX + attribute.getKey(), value);
      }
    }
    headers.set(ENTRY_ID, delivery.entryId());
    headers.set(NAMESPACE, delivery.namespace());
    headers.set(KEY, HttpHeaderRules.forwardable("x", delivery.key(), Set.of()) ? delivery.key()
        : URLEncoder.encode(delivery.key(), StandardCharsets.UTF_8));
    headers.set(ATTEMPT, Integer.toString(delivery.attempt()));
    headers.set(WRITE_TIME, Long.toString(delivery.writeTimeMs()));
    Future<Void> exchange = policy.resolve(vertx, options.host, options.allowed, what)
        .compose(address -> client.request(new RequestOptions()
            .setMethod(HttpMethod.valueOf(options.method))
            // the connection goes to the checked address; Host and TLS SNI keep the configured name
            .setServer(SocketAddress.inetSocketAddress(options.port(), address.getHostAddress()))
            .setHost(options.host)
            .setPort(options.port())
            .setURI(options.pathAndQuery())
            .setHeaders(headers)
            .setIdleTimeout(options.timeoutMs))
            // the body is asked for in the same callback as the response: asked for later, on a reused
            // connection whose event loop is another thread, its end could pass unseen (a hang until timeout-ms)
            .compose(req -> req.send(delivery.payload()).compose(HttpTarget::answer))
            .recover(e -> Future.failedFuture(DeliveryException.retryable(timedOut(e)
                ? what + " did not answer within " + options.timeoutMs + " ms"
                : what + " failed: " + HttpHeaderRules.sanitize(String.valueOf(e.getMessage()), 200)))))
        .compose(answer -> {
          int status = answer.status();
          if (status >= 200 && status < 300) {
            return Future.succeededFuture();
          }
          String message = what + " answered " + status + snippet(answer.body().toString());
          return Future.failedFuture(options.permanentStatuses.contains(status)
              ? DeliveryException.permanent(message)
              : DeliveryException.retryable(message));
        });
    // timeout-ms bounds the whole exchange, not only the connect and each read
    return exchange.timeout(options.timeoutMs, TimeUnit.MILLISECONDS)
        .recover(e -> Future.<Void>failedFuture(e instanceof DeliveryException ? e : DeliveryException.retryable(
            what + " did not answer within " + options.timeoutMs + " ms")));
  }

  private record Answer(int status, io.vertx.core.buffer.Buffer body) {
  }

  /**
   * The status and the first {@value #MAX_BODY_KEPT} bytes of the body; the rest is read and dropped. A body over
   * {@value #MAX_BODY_READ} bytes is not read further: the request is reset (its connection closed), so a target that
   * answers with an endless or huge body costs neither the node's memory nor its time.
   */
  private static Future<Answer> answer(io.vertx.core.http.HttpClientResponse response) {
    io.vertx.core.Promise<Answer> answered = io.vertx.core.Promise.promise();
    io.vertx.core.buffer.Buffer kept = io.vertx.core.buffer.Buffer.buffer();
    long[] read = {0};
    response.exceptionHandler(answered::tryFail);
    response.handler(chunk -> {
      read[0] += chunk.length();
      if (kept.length() < MAX_BODY_KEPT) {
        kept.appendBuffer(chunk, 0, Math.min(chunk.length(), MAX_BODY_KEPT - kept.length()));
      }
      if (read[0] > MAX_BODY_READ && answered.tryComplete(new Answer(response.statusCode(), kept))) {
        response.request().reset();
      }
    });
    response.endHandler(v -> answered.tryComplete(new Answer(response.statusCode(), kept)));
    return answered.future();
  }

  /** At most {@value #BODY_SNIPPET_CHARS} printable characters of an error body. */
  static String snippet(String body) {
    String clean = HttpHeaderRules.sanitize(body, BODY_SNIPPET_CHARS);
    return clean.isEmpty() ? "" : ": " + clean;
  }

  /** Whether a request failed by its idle timeout (the same timeout-ms, reported the same way as the overall one). */
  private static boolean timedOut(Throwable e) {
    return e instanceof java.util.concurrent.TimeoutException || String.valueOf(e.getMessage()).contains("timeout period");
  }

  @Override
  public Future<Void> close() {
    return client.close();
  }
}
