package io.walmesh.testkit;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.PluginContext;
import io.walmesh.spi.target.Delivery;
import io.walmesh.spi.target.Target;
import io.walmesh.spi.target.TargetFactory;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the tests of a target plugin share: its factory found the way the node finds it
 * ({@code META-INF/services}), a target created from a checked config, and deliveries as the
 * consumer makes them, first attempts and redeliveries.
 */
public final class TargetTests {
  private static final AtomicInteger ENTRY_IDS = new AtomicInteger();

  private TargetTests() {
  }

  /** The factory of a target type listed in the class path's {@code META-INF/services}. */
  public static TargetFactory factory(String type) {
    for (TargetFactory factory : ServiceLoader.load(TargetFactory.class)) {
      if (factory.type().equals(type)) {
        return factory;
      }
    }
    throw new AssertionError("no TargetFactory of type " + type + " in META-INF/services");
  }

  /** A target of {@code type} named {@code name}, its config checked first as the node does. */
  public static Target newTarget(String type, PluginContext context, String name, JsonObject config) {
    TargetFactory factory = factory(type);
    factory.validate(config, "targets[0].config");
    return factory.create(context, name, config);
  }

  /** A first attempt of a new entry (a fresh entry id) of namespace {@code ns}. */
  public static Delivery delivery(String entryKey, long writeTimeMs, Buffer payload) {
    return new Delivery("ns", "entry-" + ENTRY_IDS.incrementAndGet(), entryKey, payload, Map.of(), Map.of(),
        writeTimeMs, 1);
  }

  /** The same entry again, as a redelivery: same id, payload and write time, next attempt. */
  public static Delivery again(Delivery d) {
    return new Delivery(d.namespace(), d.entryId(), d.key(), d.payload(), d.headers(), d.attributes(),
        d.writeTimeMs(), d.attempt() + 1);
  }
}
