package io.walmesh.target.eventbus;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.target.Delivery;
import io.walmesh.testkit.BackendProbe;
import io.walmesh.testkit.TargetContract;
import io.walmesh.testkit.TargetTests;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.BeforeAll;

/**
 * The target contract against a real event-bus receiver on the node's Vert.x: it keeps, per key,
 * the last body it acknowledged, and fails the body {@code refuse me} with code 400. Stopping the
 * server unregisters the receiver (no handler: retried).
 */
class EventBusTargetContractTest extends TargetContract {
  static final String ADDRESS = "contract.receiver";
  static final Map<String, String> received = new ConcurrentHashMap<>();
  static MessageConsumer<Buffer> receiver;

  @BeforeAll
  static void startReceiver() {
    registerReceiver();
  }

  static synchronized void registerReceiver() {
    receiver = vertx().eventBus().consumer(ADDRESS, message -> {
      if (message.body().toString().equals("refuse me")) {
        message.fail(400, "refused");
        return;
      }
      received.put(message.headers().get("walmesh-key"), message.body().toString());
      message.reply(null);
    });
    BackendProbe.await(receiver.completion());
  }

  @Override
  protected String type() {
    return "eventbus";
  }

  @Override
  protected JsonObject config() {
    return new JsonObject().put("address", ADDRESS).put("timeout-ms", 2_000);
  }

  @Override
  protected Buffer write(String key, String value) {
    return Buffer.buffer(value);
  }

  @Override
  protected Optional<String> applied(String key) {
    return Optional.ofNullable(received.get(key));
  }

  @Override
  protected Delivery refused() {
    return TargetTests.delivery(key("refused"), System.currentTimeMillis(), Buffer.buffer("refuse me"));
  }

  @Override
  protected synchronized void stopServer() {
    BackendProbe.await(receiver.unregister());
  }

  @Override
  protected void startServer() {
    registerReceiver();
  }

  /** The receiver gets every delivery in arrival order; versioning is its business (walmesh-write-time). */
  @Override
  protected boolean versionsByWriteTime() {
    return false;
  }
}
