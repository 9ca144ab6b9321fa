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

/** {@code max-connections}: how many connections, and so requests in flight, the target opens to a real HTTP server. */
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
  }
}
