package io.walmesh.target.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.DestinationPolicy;
import io.walmesh.spi.PluginContext;
import io.walmesh.spi.config.ConfigException;
import io.walmesh.spi.target.Delivery;
import io.walmesh.spi.target.Target;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code max-connections}: how many connections, and so requests in flight, the target opens to a real HTTP server;
 * {@code keep-alive-secs}: how long it keeps one that fell idle.
 */
class HttpTargetConnectionsTest {
  @TempDir
  Path dir;
  Vertx vertx;
  HttpServer server;
  final AtomicInteger connections = new AtomicInteger();
  final List<HttpServerRequest> held = new CopyOnWriteArrayList<>();
  PluginContext context;
  HttpTargetFactory factory;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    // a slow service: it answers nothing until the test releases the requests it holds
    server = vertx.createHttpServer().connectionHandler(c -> connections.incrementAndGet())
        .requestHandler(request -> request.body().onSuccess(body -> held.add(request)))
        .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    context = new PluginContext(vertx, dir, "n", DestinationPolicy.defaults());
    factory = new HttpTargetFactory();
    factory.init(context).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private JsonObject config() {
    return new JsonObject().put("url", "http://127.0.0.1:" + server.actualPort() + "/apply");
  }

  @Test
  void deliveriesBeyondMaxConnectionsWaitForAConnectionAndAllArrive() throws Exception {
    Target target = factory.create(context, "slow", config().put("max-connections", 3));
    List<Future<Void>> deliveries = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      deliveries.add(target.deliver(new Delivery("ns", "e" + i, "k", Buffer.buffer("x" + i), Map.of(), Map.of(), 1L, 1)));
    }
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> held.size() == 3);
    Thread.sleep(300); // room for a fourth request, were the cap not kept
    assertThat(held).as("requests the service holds at once").hasSize(3);
    assertThat(connections.get()).as("connections opened").isEqualTo(3);
    // the service answers whatever it holds until all ten arrived
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
      for (HttpServerRequest request : held) {
        held.remove(request);
        request.response().end();
      }
      return deliveries.stream().allMatch(Future::succeeded);
    });
    assertThat(connections.get()).as("connections opened for ten deliveries").isEqualTo(3);
    target.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void maxConnectionsOutsideItsLimitsIsRefusedWithTheLimits() {
    for (int bad : new int[] {0, 1_025}) {
      assertThatThrownBy(() -> factory.create(context, "web", config().put("max-connections", bad)))
          .isInstanceOf(ConfigException.class).hasMessageContaining("max-connections").hasMessageContaining("1024");
    }
    for (int bad : new int[] {0, 86_401}) {
      assertThatThrownBy(() -> factory.create(context, "web", config().put("keep-alive-secs", bad)))
          .isInstanceOf(ConfigException.class).hasMessageContaining("keep-alive-secs").hasMessageContaining("86400");
    }
  }

  /**
   * {@code keep-alive-secs}: an idle connection stays open that long and is reused; after it, the node closes it, and
   * the next delivery opens a new one.
   */
  @Test
  void anIdleConnectionIsKeptForKeepAliveSecsThenClosedByTheNode() throws Exception {
    AtomicInteger closed = new AtomicInteger();
    HttpServer answering = vertx.createHttpServer().connectionHandler(c -> {
      connections.incrementAndGet();
      c.closeHandler(v -> closed.incrementAndGet());
    }).requestHandler(request -> request.body().onSuccess(body -> request.response().end()))
        .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    JsonObject url = new JsonObject().put("url", "http://127.0.0.1:" + answering.actualPort() + "/apply");
    Target kept = factory.create(context, "kept", url.copy()); // the default, 60 s
    Target brief = factory.create(context, "brief", url.copy().put("keep-alive-secs", 1));
    deliver(kept, "k1");
    deliver(brief, "b1");
    assertThat(connections.get()).isEqualTo(2);
    // the brief target's connection is closed about a second after it fell idle, the other stays
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> closed.get() == 1);
    Thread.sleep(1_500);
    assertThat(closed.get()).as("connections closed after 1 s idle, with the default kept").isEqualTo(1);
    deliver(kept, "k2");
    assertThat(connections.get()).as("the kept connection was reused").isEqualTo(2);
    deliver(brief, "b2");
    assertThat(connections.get()).as("the brief target connected again").isEqualTo(3);
    kept.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    brief.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static void deliver(Target target, String entry) throws Exception {
    target.deliver(new Delivery("ns", entry, "k", Buffer.buffer(entry), Map.of(), Map.of(), 1L, 1))
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
