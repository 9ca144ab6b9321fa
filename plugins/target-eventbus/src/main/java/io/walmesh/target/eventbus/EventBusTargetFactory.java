package io.walmesh.target.eventbus;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.PluginContext;
import io.walmesh.spi.config.ConfigReader;
import io.walmesh.spi.target.Delivery;
import io.walmesh.spi.target.DeliveryException;
import io.walmesh.spi.target.Target;
import io.walmesh.spi.target.TargetFactory;
import java.util.Set;

/**
 * The {@code eventbus} target type. Config: {@code address} (required) and {@code timeout-ms}
 * (default 10000). The message body is the payload as a buffer; headers carry
 * {@code walmesh-entry-id}, {@code walmesh-namespace}, {@code walmesh-key}, {@code walmesh-attempt},
 * {@code walmesh-write-time}, the entry's headers and {@code walmesh-attr-<name>} attributes. The
 * receiver replies to acknowledge; {@code message.fail(code, text)} with 400-499 is permanent, any
 * other failure, a timeout or no handler is retried.
 */
public final class EventBusTargetFactory implements TargetFactory {
  public static final String TYPE = "eventbus";
  private static final Set<String> FIELDS = Set.of("address", "timeout-ms");

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public String description() {
    return "sends each entry to a Vert.x event-bus address and waits for the reply";
  }

  @Override
  public void validate(JsonObject config, String configPath) {
    ConfigReader reader = new ConfigReader(config, configPath);
    reader.rejectUnknown(FIELDS);
    reader.requireString("address");
    reader.optLong("timeout-ms", 10_000, 1, 3_600_000);
  }

  @Override
  public Target create(PluginContext context, String name, JsonObject config) {
    ConfigReader reader = new ConfigReader(config, "config");
    return new EventBusTarget(context.vertx(), reader.requireString("address"), reader.optLong("timeout-ms", 10_000, 1, 3_600_000));
  }

  private record EventBusTarget(Vertx vertx, String address, long timeoutMs) implements Target {
    @Override
    public Future<Void> deliver(Delivery delivery) {
      io.vertx.core.MultiMap headers = io.vertx.core.MultiMap.caseInsensitiveMultiMap();
      headers.setAll(delivery.headers());
      delivery.attributes().forEach((k, v) -> headers.set("walmesh-attr-" + k, v));
      // walmesh's own headers last: a write header cannot pose as them
      headers.set("walmesh-entry-id", delivery.entryId())
          .set("walmesh-namespace", delivery.namespace())
          .set("walmesh-key", delivery.key())
          .set("walmesh-attempt", Integer.toString(delivery.attempt()))
          .set("walmesh-write-time", Long.toString(delivery.writeTimeMs()));
      DeliveryOptions options = new DeliveryOptions().setSendTimeout(timeoutMs).setHeaders(headers);
      return vertx.eventBus().request(address, delivery.payload(), options)
          .<Void>mapEmpty()
          .recover(e -> {
            if (e instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE
                && re.failureCode() >= 400 && re.failureCode() < 500) {
              return Future.failedFuture(DeliveryException.permanent(address + " refused the entry (" + re.failureCode() + "): " + re.getMessage()));
            }
            return Future.failedFuture(DeliveryException.retryable(address + ": " + e.getMessage()));
          });
    }
  }
}
