package io.walmesh.target.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.DestinationPolicy;
import io.walmesh.spi.PluginContext;
import io.walmesh.spi.config.ConfigException;
import io.walmesh.spi.target.Delivery;
import io.walmesh.spi.target.DeliveryException;
import io.walmesh.spi.target.Target;
import io.walmesh.testkit.RawHttpServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@code http} target against a server that records the exact bytes it receives: entry headers
 * cannot frame, route or authenticate the request, static headers are sent, and failures are
 * reported without credentials or unbounded bodies. Destinations are checked against the node's
 * deny-list and the target's allow-list, on config and on connect.
 */
class HttpTargetSafetyTest {
  static Vertx vertx;
  RawHttpServer server;

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopVertx() {
    join(vertx.close());
  }

  @BeforeEach
  void startServer() {
    server = new RawHttpServer("127.0.0.1");
  }

  @AfterEach
  void stopServer() {
    server.close();
  }

  @Test
  void anEntryContentLengthHeaderCannotSmuggleASecondRequest() {
    Target target = create(DestinationPolicy.defaults(), new JsonObject().put("url", url("/apply")));
    String smuggled = "DELETE /admin/everything HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n";

    join(target.deliver(delivery("e1", Map.of("Content-Length", "0"), smuggled)));
    join(target.deliver(delivery("e2", Map.of("Transfer-Encoding", "chunked", "Connection", "keep-alive, Upgrade",
        "Upgrade", "h2c", "Expect", "100-continue", "TE", "trailers", "Trailer", "X-T", "Keep-Alive", "timeout=1",
        "Proxy-Authorization", "Basic eDp5"), "second")));
    join(target.close());
    await().atMost(Duration.ofSeconds(10)).until(server::allConnectionsEnded);

    List<RawHttpServer.Request> requests = server.requests();
    assertThat(requests).as(String.join("\n----\n", server.rawConnections())).hasSize(2);
    assertThat(requests).extracting(RawHttpServer.Request::method).containsExactly("POST", "POST");
    assertThat(requests).extracting(RawHttpServer.Request::target).containsExactly("/apply", "/apply");
    assertThat(requests.get(0).body()).isEqualTo(smuggled);
    assertThat(requests.get(0).header("Content-Length")).isEqualTo(Integer.toString(smuggled.length()));
    assertThat(requests.get(1).body()).isEqualTo("second");
    for (String hopByHop : List.of("Transfer-Encoding", "Upgrade", "Expect", "TE", "Trailer", "Keep-Alive",
        "Proxy-Authorization")) {
      assertThat(requests.get(1).all(hopByHop)).as(hopByHop).isEmpty();
    }
    assertThat(String.join("", server.rawConnections())).doesNotContain("h2c").doesNotContain("100-continue");
  }

  @Test
  void staticHeadersAndTheConfiguredContentTypeAreSentAndEntryHeadersCannotOverrideThem() {
    Target target = create(DestinationPolicy.defaults(), new JsonObject().put("url", url("/apply?x=1"))
        .put("headers", new JsonObject().put("Authorization", "Bearer walmesh-token").put("X-Static", "from-config")
            .put("Content-Type", "application/json")));
    Map<String, String> hostile = new LinkedHashMap<>();
    hostile.put("Host", "evil.example");
    hostile.put("Authorization", "Bearer attacker");
    hostile.put("authorization", "Bearer attacker2");
    hostile.put("Cookie", "session=stolen");
    hostile.put("X-Forwarded-For", "10.0.0.1");
    hostile.put("Forwarded", "for=10.0.0.1");
    hostile.put("x-static", "from-entry");
    hostile.put("Content-Type", "text/evil");
    hostile.put("Walmesh-Entry-Id", "spoofed");
    hostile.put("Walmesh-Attr-table", "spoofed");
    hostile.put("X-Bad\r\nInjected", "1");
    hostile.put("X-Value", "ok\r\nInjected: 2");
    hostile.put("X-Nul", "a\u0000b");
    hostile.put("X-Trace", "abc-123");

    join(target.deliver(delivery("e1", hostile, "{\"a\":1}")));
    join(target.close());
    await().atMost(Duration.ofSeconds(10)).until(server::allConnectionsEnded);

    assertThat(server.requests()).hasSize(1);
    RawHttpServer.Request request = server.requests().get(0);
    assertThat(request.target()).isEqualTo("/apply?x=1");
    assertThat(request.header("Host")).isEqualTo("127.0.0.1:" + server.port());
    assertThat(request.header("Authorization")).isEqualTo("Bearer walmesh-token");
    assertThat(request.header("X-Static")).isEqualTo("from-config");
    assertThat(request.header("Content-Type")).isEqualTo("application/json");
    assertThat(request.header("Walmesh-Entry-Id")).isEqualTo("e1");
    assertThat(request.all("Walmesh-Attr-table")).isEmpty();
    assertThat(request.header("X-Trace")).isEqualTo("abc-123");
    for (String dropped : List.of("Cookie", "X-Forwarded-For", "Forwarded", "Injected", "X-Value", "X-Nul")) {
      assertThat(request.all(dropped)).as(dropped).isEmpty();
    }
    assertThat(request.body()).isEqualTo("{\"a\":1}");
    assertThat(String.join("", server.rawConnections())).doesNotContain("evil.example").doesNotContain("attacker")
        .doesNotContain("stolen").doesNotContain("spoofed");
  }

  @Test
  void withoutAConfiguredContentTypeAnEntryMaySetOneElseItIsOctetStream() {
    Target target = create(DestinationPolicy.defaults(), new JsonObject().put("url", url("/")));
    join(target.deliver(delivery("e1", Map.of("content-type", "application/json"), "{}")));
    join(target.deliver(delivery("e2", Map.of(), "raw")));
    join(target.close());
    await().atMost(Duration.ofSeconds(10)).until(server::allConnectionsEnded);
    assertThat(server.requests()).extracting(r -> r.header("Content-Type"))
        .containsExactly("application/json", "application/octet-stream");
  }

  @Test
  void anErrorKeepsAShortSanitizedReasonAndNeverTheUrlsCredentials() {
    String body = "\u001b[31mboom\r\nsecret-stack-trace " + "x".repeat(5_000);
    server.respond(400, body);
    Target target = create(DestinationPolicy.defaults(),
        new JsonObject().put("url", "http://alice:s3cr3t@127.0.0.1:" + server.port() + "/apply?token=abc"));

    Throwable failure = failure(target.deliver(delivery("e1", Map.of(), "x")));

    assertThat(failure).isInstanceOf(DeliveryException.class);
    assertThat(((DeliveryException) failure).kind()).isEqualTo(DeliveryException.Kind.PERMANENT);
    String message = failure.getMessage();
    assertThat(message).contains("answered 400").contains("boom").contains("/apply")
        .doesNotContain("alice").doesNotContain("s3cr3t").doesNotContain("token=abc");
    assertThat(message.chars().filter(Character::isISOControl).count()).isZero();
    assertThat(message.length()).isLessThan(HttpTarget.BODY_SNIPPET_CHARS + 120);
    // the URL's credentials are sent as basic auth
    assertThat(server.requests().get(0).header("Authorization")).isEqualTo("Basic "
        + Base64.getEncoder().encodeToString("alice:s3cr3t".getBytes(StandardCharsets.UTF_8)));
    join(target.close());
  }

  /**
   * A target that answers with an endless body (a broken proxy, a hostile service) costs neither memory nor time: the
   * answer is read up to 1 MiB, then the request is reset, and the delivery fails with the status, well before its
   * timeout. The server sees its connection closed after a few MiB, not after the 512 MiB it would send.
   */
  @Test
  void anEndlessAnswerBodyIsCutAfterAMebibyteAndTheDeliveryFailsWithItsStatus() {
    java.util.concurrent.atomic.AtomicLong written = new java.util.concurrent.atomic.AtomicLong();
    java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
    io.vertx.core.http.HttpServer endless = join(vertx.createHttpServer().requestHandler(request -> request.body()
        .onSuccess(ignored -> {
          io.vertx.core.http.HttpServerResponse response = request.response().setStatusCode(503).setChunked(true);
          Buffer chunk = Buffer.buffer("overloaded ".repeat(6_000));
          response.closeHandler(v -> closed.set(true));
          response.exceptionHandler(e -> closed.set(true));
          Runnable[] pump = new Runnable[1];
          pump[0] = () -> {
            while (!closed.get() && !response.writeQueueFull() && written.get() < (512L << 20)) {
              response.write(chunk);
              written.addAndGet(chunk.length());
            }
            if (!closed.get() && written.get() < (512L << 20)) {
              response.drainHandler(v -> pump[0].run());
            }
          };
          pump[0].run();
        })).listen(0, "127.0.0.1"));
    try {
      Target target = create(DestinationPolicy.defaults(), new JsonObject()
          .put("url", "http://127.0.0.1:" + endless.actualPort() + "/apply").put("timeout-ms", 30_000));
      long started = System.nanoTime();
      Throwable failure = failure(target.deliver(delivery("e1", Map.of(), "x")));
      long tookMs = (System.nanoTime() - started) / 1_000_000;

      assertThat(failure).isInstanceOf(DeliveryException.class);
      assertThat(failure.getMessage()).contains("answered 503", "overloaded");
      assertThat(failure.getMessage().length()).isLessThan(HttpTarget.BODY_SNIPPET_CHARS + 120);
      assertThat(tookMs).as("failed long before its 30 s timeout").isLessThan(15_000);
      await().atMost(Duration.ofSeconds(10)).until(closed::get);
      assertThat(written.get()).as("bytes the server got to send before its connection closed").isLessThan(64L << 20);
      join(target.close());
    } finally {
      join(endless.close());
    }
  }

  @Test
  void aConfigIsRefusedNamingTheFieldWhenItsHostIsDeniedOrItsHeadersAreUnsafe() {
    HttpTargetFactory factory = new HttpTargetFactory();
    join(factory.init(context(DestinationPolicy.defaults())));
    assertRefused(factory, new JsonObject().put("url", "http://169.254.169.254/latest/meta-data/"),
        "targets[0].config.url", "169.254.0.0/16");
    assertRefused(factory, new JsonObject().put("url", "http://[fe80::1]:8080/"), "targets[0].config.url", "fe80::/10");
    assertRefused(factory, new JsonObject().put("url", url("/")).put("headers",
        new JsonObject().put("Content-Length", "0")), "targets[0].config.headers.Content-Length", "framing");
    assertRefused(factory, new JsonObject().put("url", url("/")).put("headers",
        new JsonObject().put("X-A", "1\r\nX-B: 2")), "targets[0].config.headers.X-A", "control characters");
    assertRefused(factory, new JsonObject().put("url", url("/")).put("allowed-destinations",
        new JsonArray().add("10.0.0.0/8")), "targets[0].config.url", "allowed-destinations");
    // a URL refused for its syntax is not echoed back either
    assertThatThrownBy(() -> factory.validate(new JsonObject().put("url", "http://u:p@bad host/"), "c"))
        .isInstanceOf(ConfigException.class).satisfies(e -> assertThat(e.getMessage()).doesNotContain("u:p"));
    // loopback stays allowed by default
    factory.validate(new JsonObject().put("url", url("/")), "targets[0].config");
  }

  @Test
  void aNameThatResolvesToADeniedAddressFailsPermanentlyWithoutConnecting() {
    DestinationPolicy noLoopback = DestinationPolicy.denying(List.of("127.0.0.0/8", "::1/128"));
    Target target = create(noLoopback, new JsonObject().put("url", "http://localhost:" + server.port() + "/"));

    Throwable failure = failure(target.deliver(delivery("e1", Map.of(), "x")));

    assertThat(failure).isInstanceOf(DeliveryException.class).hasMessageContaining("localhost resolves to")
        .hasMessageContaining("deny-destinations");
    assertThat(((DeliveryException) failure).kind()).isEqualTo(DeliveryException.Kind.PERMANENT);
    assertThat(server.accepted()).isZero();
    join(target.close());
  }

  @Test
  void theTargetsAllowListIsCheckedAgainstTheResolvedAddress() {
    Target outside = create(DestinationPolicy.defaults(), new JsonObject().put("url", "http://localhost:" + server.port()
        + "/").put("allowed-destinations", new JsonArray().add("10.0.0.0/8")));
    Throwable failure = failure(outside.deliver(delivery("e1", Map.of(), "x")));
    assertThat(failure).isInstanceOf(DeliveryException.class).hasMessageContaining("allowed-destinations [10.0.0.0/8]");
    assertThat(((DeliveryException) failure).kind()).isEqualTo(DeliveryException.Kind.PERMANENT);
    assertThat(server.accepted()).isZero();
    join(outside.close());

    Target inside = create(DestinationPolicy.defaults(), new JsonObject().put("url", "http://localhost:" + server.port()
        + "/").put("allowed-destinations", new JsonArray().add("127.0.0.0/8").add("::1")));
    join(inside.deliver(delivery("e2", Map.of(), "ok")));
    assertThat(server.requests()).extracting(RawHttpServer.Request::body).containsExactly("ok");
    join(inside.close());
  }

  private static ConfigException assertRefusedHelper(HttpTargetFactory factory, JsonObject config) {
    try {
      factory.validate(config, "targets[0].config");
    } catch (ConfigException e) {
      return e;
    }
    throw new AssertionError("accepted " + config.encode());
  }

  private static void assertRefused(HttpTargetFactory factory, JsonObject config, String field, String mentions) {
    ConfigException e = assertRefusedHelper(factory, config);
    assertThat(e.field()).isEqualTo(field);
    assertThat(e.getMessage()).contains(mentions);
  }

  private String url(String path) {
    return "http://127.0.0.1:" + server.port() + path;
  }

  private static PluginContext context(DestinationPolicy policy) {
    return new PluginContext(vertx, Path.of("target"), "test", policy);
  }

  private static Target create(DestinationPolicy policy, JsonObject config) {
    HttpTargetFactory factory = new HttpTargetFactory();
    join(factory.init(context(policy)));
    factory.validate(config, "config");
    return factory.create(context(policy), "web", config);
  }

  private static Delivery delivery(String id, Map<String, String> headers, String payload) {
    return new Delivery("ns", id, "k1", Buffer.buffer(payload), headers, Map.of(), 1_700_000_000_000L, 1);
  }

  private static Throwable failure(Future<?> future) {
    try {
      future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("the delivery succeeded");
  }

  private static <T> T join(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e.getCause() == null ? e : e.getCause());
    }
  }
}
