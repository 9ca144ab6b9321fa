package io.walmesh.target.http;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.walmesh.spi.target.Delivery;
import io.walmesh.spi.target.DeliveryException;
import io.walmesh.spi.target.Target;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Sends each delivery as one HTTP request. The body is the payload; walmesh adds
 * {@code Walmesh-Entry-Id}, {@code Walmesh-Namespace}, {@code Walmesh-Key}, {@code Walmesh-Attempt}
 * and {@code Walmesh-Write-Time} headers, the entry's own headers, and each target attribute as
 * {@code Walmesh-Attr-<name>}.
 */
final class HttpTarget implements Target {
  static final String ENTRY_ID = "Walmesh-Entry-Id";
  static final String NAMESPACE = "Walmesh-Namespace";
  static final String KEY = "Walmesh-Key";
  static final String ATTEMPT = "Walmesh-Attempt";
  static final String WRITE_TIME = "Walmesh-Write-Time";
  static final String ATTRIBUTE_PREFIX = "Walmesh-Attr-";

  private final HttpTargetOptions options;
  private final HttpClient client;

  HttpTarget(Vertx vertx, HttpTargetOptions options) {
    this.options = options;
    this.client = vertx.createHttpClient(new HttpClientOptions()
        .setSsl(options.url.getScheme().equals("https"))
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, options.timeoutMs)),
        new PoolOptions().setHttp1MaxSize(32));
  }

  @Override
  public Future<Void> deliver(Delivery delivery) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    headers.set("Content-Type", "application/octet-stream");
    headers.setAll(options.headers);
    headers.setAll(delivery.headers());
    for (Map.Entry<String, String> attribute : delivery.attributes().entrySet()) {
      headers.set(ATTRIBUTE_PREFIX + attribute.getKey(), attribute.getValue());
    }
    headers.set(ENTRY_ID, delivery.entryId());
    headers.set(NAMESPACE, delivery.namespace());
    headers.set(KEY, delivery.key());
    headers.set(ATTEMPT, Integer.toString(delivery.attempt()));
    headers.set(WRITE_TIME, Long.toString(delivery.writeTimeMs()));
    RequestOptions request = new RequestOptions()
        .setMethod(HttpMethod.valueOf(options.method))
        .setHost(options.url.getHost())
        .setPort(options.port())
        .setURI(options.pathAndQuery())
        .setHeaders(headers)
        .setIdleTimeout(options.timeoutMs);
    Future<Void> exchange = client.request(request)
        .compose(req -> req.send(delivery.payload()))
        .recover(e -> Future.failedFuture(DeliveryException.retryable(
            options.method + " " + options.url + " failed: " + e.getMessage())))
        .compose(resp -> resp.body().compose(body -> {
          int status = resp.statusCode();
          if (status >= 200 && status < 300) {
            return Future.succeededFuture();
          }
          String message = options.method + " " + options.url + " answered " + status + snippet(body.toString());
          return Future.failedFuture(options.permanentStatuses.contains(status)
              ? DeliveryException.permanent(message)
              : DeliveryException.retryable(message));
        }));
    // timeout-ms bounds the whole exchange, not only the connect and each read
    return exchange.timeout(options.timeoutMs, TimeUnit.MILLISECONDS)
        .recover(e -> Future.<Void>failedFuture(e instanceof DeliveryException ? e : DeliveryException.retryable(
            options.method + " " + options.url + " did not answer within " + options.timeoutMs + " ms")));
  }

  private static String snippet(String body) {
    if (body.isBlank()) {
      return "";
    }
    String trimmed = body.strip();
    return ": " + (trimmed.length() > 200 ? trimmed.substring(0, 200) + "..." : trimmed);
  }

  @Override
  public Future<Void> close() {
    return client.close();
  }
}
