package io.walmesh.target.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.DestinationPolicy;
import io.walmesh.spi.PluginContext;
import io.walmesh.spi.target.Delivery;
import io.walmesh.spi.target.Target;
import io.walmesh.testkit.RawHttpServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deliveries one after another over a kept-alive connection while the machine is busy (threads
 * spinning on every core): each is answered at once. This caught a delivery that hung until
 * {@code timeout-ms} about once in a hundred under load: the response body was asked for a step
 * after the response, on another thread than the reused connection's.
 */
class HttpTargetUnderLoadTest {
  @TempDir
  Path dir;

  @Test
  void deliveriesInARowOnABusyMachineAreEachAnsweredAtOnce() throws Exception {
    Vertx vertx = Vertx.vertx();
    AtomicBoolean busy = new AtomicBoolean(true);
    List<Thread> spinners = new ArrayList<>();
    for (int i = 0; i < Runtime.getRuntime().availableProcessors() + 1; i++) {
      Thread spinner = new Thread(() -> {
        long x = 0;
        while (busy.get()) {
          x += System.nanoTime() % 7;
        }
        if (x == 42) {
          System.out.print("");
        }
      }, "spinner-" + i);
      spinner.setDaemon(true);
      spinner.start();
      spinners.add(spinner);
    }
    List<String> slow = new ArrayList<>();
    try {
      PluginContext context = new PluginContext(vertx, dir, "n", DestinationPolicy.defaults());
      HttpTargetFactory factory = new HttpTargetFactory();
      factory.init(context).toCompletionStage().toCompletableFuture().get();
      for (int round = 0; round < 150; round++) {
        try (RawHttpServer server = new RawHttpServer("127.0.0.1")) {
          Target target = factory.create(context, "web", new JsonObject()
              .put("url", "http://127.0.0.1:" + server.port() + "/").put("timeout-ms", 3_000));
          for (int i = 0; i < 3; i++) {
            try {
              target.deliver(new Delivery("ns", "e" + round + "-" + i, "k", Buffer.buffer("x"), Map.of(), Map.of(), 1L, 1))
                  .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
              slow.add("round " + round + ", delivery " + i + ": " + e.getCause().getMessage());
            }
          }
          target.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
      }
    } finally {
      busy.set(false);
      for (Thread spinner : spinners) {
        spinner.join();
      }
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    assertThat(slow).as("deliveries that did not answer").isEmpty();
  }
}
