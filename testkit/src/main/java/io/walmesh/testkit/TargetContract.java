package io.walmesh.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.PluginContext;
import io.walmesh.spi.target.Delivery;
import io.walmesh.spi.target.DeliveryException;
import io.walmesh.spi.target.Target;
import io.walmesh.spi.target.TargetFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract every target keeps (the numbered MUSTs of {@link Target}), as one abstract JUnit 5
 * suite. A target module's test extends it and says how to reach its real server, how to write a
 * value under a key, how to read back what the server holds, how to make the server fail, and
 * which payload its type refuses for good; the suite does the rest, creating targets as the node
 * does (the factory from {@code META-INF/services}, {@code init}, {@code validate}, {@code create}).
 *
 * <p>Clauses: delivery, redelivery, versioning by write time (where the type promises it; where it
 * does not, the last delivery wins), permanent vs retryable errors, close.
 */
public abstract class TargetContract {
  private static Vertx vertx;

  /** The plugin data directory of one test. */
  @TempDir
  protected Path dataDir;
  private TargetFactory factory;
  private final List<Target> created = new ArrayList<>();
  private final String run = UUID.randomUUID().toString().substring(0, 8);

  // ---- what a target's test supplies ----

  /** The target type under test; its factory is found in {@code META-INF/services}. */
  protected abstract String type();

  /** A target config pointing at the real server. */
  protected abstract JsonObject config();

  /** A payload that makes the server hold {@code value} under {@code key}. */
  protected abstract Buffer write(String key, String value);

  /** What the server holds under {@code key} now; empty when nothing. Called repeatedly while awaited. */
  protected abstract Optional<String> applied(String key);

  /** A delivery that the type refuses for good (retrying cannot help), e.g. a malformed payload. */
  protected abstract Delivery refused();

  /** Makes the server unreachable, as when it stops. */
  protected abstract void stopServer();

  /** Brings the server back after {@link #stopServer()}. */
  protected abstract void startServer();

  /**
   * Whether the type versions writes by {@link Delivery#writeTimeMs()}, so that an older entry
   * delivered late never overwrites a newer one. When false, the kit checks the opposite promise:
   * deliveries are applied in the order they arrive (the last one wins).
   */
  protected abstract boolean versionsByWriteTime();

  /** How long an applied delivery may take to be visible through {@link #applied}. */
  protected Duration applyLatency() {
    return Duration.ofSeconds(10);
  }

  /** How long a retried delivery may take to succeed once the server is back. */
  protected Duration recoveryTime() {
    return Duration.ofSeconds(30);
  }

  // ---- fixture ----

  @BeforeAll
  public static void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  public static void stopVertx() {
    BackendProbe.await(vertx.close());
  }

  /** The Vert.x instance the targets run on. */
  protected static Vertx vertx() {
    return vertx;
  }

  @BeforeEach
  public void initFactory() {
    factory = TargetTests.factory(type());
    BackendProbe.await(factory.init(context()));
  }

  @AfterEach
  public void closeAll() {
    for (Target target : created) {
      BackendProbe.await(target.close());
    }
    created.clear();
    BackendProbe.await(factory.close());
  }

  /** The context the targets are created with. */
  protected PluginContext context() {
    return new PluginContext(vertx, dataDir, "contract-node");
  }

  /** A new target of the type, its config checked first as the node does. */
  protected Target newTarget() {
    JsonObject config = config();
    factory.validate(config, "targets[0].config");
    Target target = factory.create(context(), "contract", config);
    created.add(target);
    return target;
  }

  /** A key of this test run, so tests sharing a server never see each other's values. */
  protected String key(String name) {
    return name + "-" + run;
  }

  /** A first attempt of a new entry that writes {@code value} under {@code key}. */
  protected Delivery delivery(String key, String value, long writeTimeMs) {
    return TargetTests.delivery(key, writeTimeMs, write(key, value));
  }

  private void awaitApplied(String key, String value, String why) {
    Awaitility.await(why).atMost(applyLatency()).pollInterval(Duration.ofMillis(50)).ignoreExceptions()
        .untilAsserted(() -> assertThat(applied(key)).as(why).contains(value));
  }

  /** The failure of a delivery that must fail; fails the test when it succeeds. */
  protected static DeliveryException failure(Future<Void> delivery) {
    try {
      delivery.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      assertThat(e.getCause()).as("a failed delivery fails with a DeliveryException").isInstanceOf(DeliveryException.class);
      return (DeliveryException) e.getCause();
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError("the delivery did not answer within 60 s", e);
    }
    throw new AssertionError("the delivery succeeded; expected it to fail");
  }

  // ---- delivery ----

  @Test
  public void aDeliverySucceedsOnlyOnceTheServerHoldsTheValue() {
    Target target = newTarget();
    String key = key("delivered");
    BackendProbe.await(target.deliver(delivery(key, "v1", System.currentTimeMillis())));
    awaitApplied(key, "v1", "the delivered value is on the server");
  }

  @Test
  public void aRedeliveryOfTheSameEntrySucceedsAndChangesNothing() {
    Target target = newTarget();
    String key = key("redelivered");
    long now = System.currentTimeMillis();
    Delivery first = delivery(key, "v1", now);
    BackendProbe.await(target.deliver(first));
    BackendProbe.await(target.deliver(TargetTests.again(first)));
    BackendProbe.await(target.deliver(TargetTests.again(TargetTests.again(first))));
    awaitApplied(key, "v1", "a redelivered entry leaves the same value");
    BackendProbe.await(target.deliver(delivery(key, "v2", now + 1)));
    awaitApplied(key, "v2", "a later entry after redeliveries is applied");
  }

  // ---- versioning by write time ----

  @Test
  public void anOlderEntryDeliveredLateIsAppliedOnlyWhenTheTypeDoesNotVersion() {
    Target target = newTarget();
    String key = key("versioned");
    long now = System.currentTimeMillis();
    BackendProbe.await(target.deliver(delivery(key, "newer", now)));
    awaitApplied(key, "newer", "the newer entry is applied");
    BackendProbe.await(target.deliver(delivery(key, "older", now - 10_000)));
    if (versionsByWriteTime()) {
      // the late delivery succeeded, so the server decided: it must have kept the newer value
      assertThat(applied(key)).as(type() + " versions by write time: an older entry never overwrites a newer one")
          .contains("newer");
      BackendProbe.await(target.deliver(delivery(key, "newest", now + 1)));
      awaitApplied(key, "newest", "a newer entry still overwrites");
      assertThat(applied(key)).contains("newest");
    } else {
      awaitApplied(key, "older", type() + " does not version: deliveries apply in arrival order, the last one wins");
    }
  }

  // ---- permanent vs retryable errors ----

  @Test
  public void aRefusedEntryFailsPermanentlyAndTheTargetGoesOn() {
    Target target = newTarget();
    DeliveryException refused = failure(target.deliver(refused()));
    assertThat(refused.kind()).as("retrying cannot help: " + refused.getMessage())
        .isEqualTo(DeliveryException.Kind.PERMANENT);
    String key = key("after-refusal");
    BackendProbe.await(target.deliver(delivery(key, "ok", System.currentTimeMillis())));
    awaitApplied(key, "ok", "the target still delivers after a refused entry");
  }

  @Test
  public void aStoppedServerIsRetryableAndTheRetryIsAppliedOnceItIsBack() {
    Target target = newTarget();
    Target other = newTarget();
    String key = key("outage");
    long now = System.currentTimeMillis();
    BackendProbe.await(target.deliver(delivery(key, "before", now)));
    BackendProbe.await(other.deliver(delivery(key("other"), "before", now)));
    Delivery during = delivery(key, "during", now + 1);
    stopServer();
    try {
      DeliveryException down = failure(target.deliver(during));
      assertThat(down.kind()).as("a server that is down may come back: " + down.getMessage())
          .isEqualTo(DeliveryException.Kind.RETRYABLE);
      assertThat(BackendProbe.await(other.close().timeout(20, TimeUnit.SECONDS).map("closed")))
          .as("a target closes while its server is down").isEqualTo("closed");
      created.remove(other);
    } finally {
      startServer();
    }
    Delivery[] retry = {during};
    Awaitility.await("the retried entry is applied once the server is back").atMost(recoveryTime())
        .pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
          retry[0] = TargetTests.again(retry[0]);
          try {
            BackendProbe.await(target.deliver(retry[0]));
          } catch (DeliveryException e) {
            // the consumer retries a retryable failure with backoff; a permanent one would dead-letter the entry
            if (e.kind() != DeliveryException.Kind.RETRYABLE) {
              throw new IllegalStateException("a retry while the server comes back failed permanently: " + e.getMessage(), e);
            }
            throw new AssertionError("attempt " + retry[0].attempt() + " failed: " + e.getMessage(), e);
          }
        });
    awaitApplied(key, "during", "the retried entry is applied");
  }

  // ---- close ----

  @Test
  public void closingOneTargetLeavesTheOthersOfItsTypeDelivering() {
    Target closing = newTarget();
    Target staying = newTarget();
    String key = key("close");
    long now = System.currentTimeMillis();
    BackendProbe.await(closing.deliver(delivery(key, "from-closing", now)));
    assertThat(BackendProbe.await(closing.close().timeout(20, TimeUnit.SECONDS).map("closed"))).isEqualTo("closed");
    created.remove(closing);
    BackendProbe.await(staying.deliver(delivery(key, "from-staying", now + 1)));
    awaitApplied(key, "from-staying", "another target of the type still delivers");
  }
}
