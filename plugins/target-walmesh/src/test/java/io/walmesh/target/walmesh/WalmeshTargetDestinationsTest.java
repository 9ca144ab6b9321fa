package io.walmesh.target.walmesh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Endpoints are checked against the node's deny-list (literal on config, resolved on connect) and the allow-list. */
class WalmeshTargetDestinationsTest {
  static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void aDeniedLiteralEndpointIsRefusedNamingIt() {
    WalmeshTargetFactory factory = new WalmeshTargetFactory();
    factory.init(context(DestinationPolicy.defaults()));
    assertThatThrownBy(() -> factory.validate(new JsonObject().put("endpoints", new JsonArray().add("127.0.0.1:9090")
        .add("169.254.169.254:80")), "targets[0].config"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("deny-destinations")
        .extracting(e -> ((ConfigException) e).field()).isEqualTo("targets[0].config.endpoints[1]");
    assertThatThrownBy(() -> factory.validate(new JsonObject().put("endpoints", new JsonArray().add("10.1.1.1:9090"))
        .put("allowed-destinations", new JsonArray().add("192.168.0.0/16")), "c"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("allowed-destinations")
        .extracting(e -> ((ConfigException) e).field()).isEqualTo("c.endpoints[0]");
  }

  @Test
  void aNameResolvingToADeniedAddressFailsPermanentlyAndAnAllowedOneIsTried() throws Exception {
    JsonObject config = new JsonObject().put("endpoints", new JsonArray().add("localhost:1")).put("timeout-ms", 2_000);
    WalmeshTargetFactory factory = new WalmeshTargetFactory();
    Target denied = factory.create(context(DestinationPolicy.denying(List.of("127.0.0.0/8", "::1/128"))), "eu", config);
    Throwable failure = failure(denied.deliver(delivery()));
    assertThat(failure).isInstanceOf(DeliveryException.class).hasMessageContaining("localhost resolves to 127.0.0.1")
        .hasMessageContaining("deny-destinations");
    assertThat(((DeliveryException) failure).kind()).isEqualTo(DeliveryException.Kind.PERMANENT);
    denied.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);

    Target allowed = factory.create(context(DestinationPolicy.defaults()), "eu", config);
    Throwable unreachable = failure(allowed.deliver(delivery()));
    assertThat(unreachable).isInstanceOf(DeliveryException.class).hasMessageContaining("unreachable");
    assertThat(((DeliveryException) unreachable).kind()).isEqualTo(DeliveryException.Kind.RETRYABLE);
    allowed.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static PluginContext context(DestinationPolicy policy) {
    return new PluginContext(vertx, Path.of("target"), "test", policy);
  }

  private static Delivery delivery() {
    return new Delivery("ns", "e1", "k", Buffer.buffer("x"), Map.of(), Map.of(), 1_700_000_000_000L, 1);
  }

  private static Throwable failure(Future<?> future) throws Exception {
    try {
      future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    }
    throw new AssertionError("the delivery succeeded");
  }
}
