package io.walmesh.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.config.ConfigException;
import io.walmesh.spi.config.ConfigReader;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** CIDR blocks, the default deny-list and a target's allow-list; {@code localhost} for resolution. */
class DestinationPolicyTest {
  private static io.vertx.core.Vertx vertx;

  @BeforeAll
  static void startVertx() {
    vertx = io.vertx.core.Vertx.vertx();
  }

  @AfterAll
  static void stopVertx() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get();
  }

  /** A target's allow-list of 10.0.0.0/8 only. */
  private static AllowedDestinations tenOnly() {
    JsonObject onlyTen = new JsonObject().put(AllowedDestinations.FIELD, new JsonArray().add("10.0.0.0/8"));
    return AllowedDestinations.read(new ConfigReader(onlyTen, "config"));
  }

  @Test
  void theDefaultDeniesLinkLocalInEveryNotationButNotLoopback() throws Exception {
    DestinationPolicy policy = DestinationPolicy.defaults();
    for (String denied : List.of("169.254.169.254", "169.254.0.1", "::ffff:169.254.169.254", "fe80::1", "[fe80::1]",
        "FE80::abcd:1")) {
      assertThat(policy.deniedBy(AddressRange.literal(denied))).as(denied).isPresent();
      assertThatThrownBy(() -> policy.checkLiteral(denied, "url")).as(denied).isInstanceOf(ConfigException.class)
          .extracting(e -> ((ConfigException) e).field()).isEqualTo("url");
    }
    for (String allowed : List.of("127.0.0.1", "::1", "10.0.0.1", "169.255.0.1", "fec0::1")) {
      assertThat(policy.deniedBy(AddressRange.literal(allowed))).as(allowed).isEmpty();
    }
    // a name is never resolved by the config check
    policy.checkLiteral("metadata.google.internal", "url");
    assertThat(AddressRange.literal("metadata.google.internal")).isNull();
    assertThat(AddressRange.literal("1.2.3")).isNull();
    assertThat(policy.deniedBy(InetAddress.getByAddress(new byte[] {(byte) 169, (byte) 254, 1, 1}))).isPresent();
  }

  @Test
  void blocksParseStrictly() {
    assertThat(AddressRange.parse("10.1.2.3/8").contains(AddressRange.literal("10.200.0.1"))).isTrue();
    assertThat(AddressRange.parse("10.1.2.3/8").contains(AddressRange.literal("11.0.0.1"))).isFalse();
    assertThat(AddressRange.parse("0.0.0.0/0").contains(AddressRange.literal("::1"))).isFalse();
    assertThat(AddressRange.parse("192.168.1.7").contains(AddressRange.literal("192.168.1.7"))).isTrue();
    assertThat(AddressRange.parse("192.168.1.7").contains(AddressRange.literal("192.168.1.8"))).isFalse();
    for (String bad : List.of("10.0.0.0/33", "fe80::/129", "10.0.0.0/x", "example.com", "10.0.0.256", "")) {
      assertThatThrownBy(() -> AddressRange.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> DestinationPolicy.denying(List.of("10.0.0.0/8", "nope")))
        .hasMessageStartingWith("[1] ");
  }

  @Test
  void anAllowListMatchesNamesAsConfiguredAndAddressesAsResolved() {
    AllowedDestinations allowed = AllowedDestinations.read(new ConfigReader(new JsonObject()
        .put("allowed-destinations", new JsonArray().add("API.example.com").add("10.0.0.0/8")), "c"));
    allowed.checkConfigured("api.example.com", "c.url");
    allowed.checkConfigured("other.example.com", "c.url"); // may resolve into 10/8: checked on connect
    allowed.checkConfigured("10.1.1.1", "c.url");
    assertThatThrownBy(() -> allowed.checkConfigured("192.168.0.1", "c.url")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("allowed-destinations [API.example.com, 10.0.0.0/8]");
    assertThat(allowed.allows("api.example.com", AddressRange.literal("192.168.0.1"))).isTrue();
    assertThat(allowed.allows("other.example.com", AddressRange.literal("192.168.0.1"))).isFalse();
    assertThat(allowed.allows("other.example.com", AddressRange.literal("10.9.9.9"))).isTrue();

    AllowedDestinations namesOnly = AllowedDestinations.read(new ConfigReader(new JsonObject()
        .put("allowed-destinations", new JsonArray().add("api.example.com")), "c"));
    assertThatThrownBy(() -> namesOnly.checkConfigured("other.example.com", "c.url")).isInstanceOf(ConfigException.class);
    assertThatThrownBy(() -> AllowedDestinations.read(new ConfigReader(new JsonObject()
        .put("allowed-destinations", new JsonArray()), "c"))).isInstanceOf(ConfigException.class);
    assertThatThrownBy(() -> AllowedDestinations.read(new ConfigReader(new JsonObject()
        .put("allowed-destinations", new JsonArray().add("http://x/")), "c")))
        .isInstanceOf(ConfigException.class).extracting(e -> ((ConfigException) e).field())
        .isEqualTo("c.allowed-destinations[0]");
    assertThat(AllowedDestinations.read(new ConfigReader(new JsonObject(), "c")).any()).isTrue();
  }

  @Test
  void aResolvedNameIsReusedButCheckedOnEveryUse() throws Exception {
    DestinationPolicy policy = DestinationPolicy.denying(List.of("169.254.0.0/16"));
    InetAddress first = policy.resolve(vertx, "localhost", AllowedDestinations.ANY, "http target t")
        .toCompletionStage().toCompletableFuture().get();
    assertThat(first.isLoopbackAddress()).isTrue();
    io.vertx.core.Future<InetAddress> again = policy.resolve(vertx, "localhost", AllowedDestinations.ANY, "http target t");
    assertThat(again.isComplete()).as("answered from the recent lookup, without a worker thread").isTrue();
    assertThat(again.result()).isEqualTo(first);
    // the recent addresses still go through the target's allow-list
    io.vertx.core.Future<InetAddress> refused = policy.resolve(vertx, "localhost", tenOnly(), "http target t");
    assertThat(refused.failed()).isTrue();
    assertThat(refused.cause()).hasMessageContaining("is not in the target's allowed-destinations");
  }

  @Test
  void anIpLiteralIsParsedOnceAndCheckedOnEveryUse() throws Exception {
    DestinationPolicy policy = DestinationPolicy.denying(List.of("169.254.0.0/16"));
    for (int use = 0; use < 3; use++) {
      io.vertx.core.Future<InetAddress> literal = policy.resolve(vertx, "127.0.0.1", AllowedDestinations.ANY, "t");
      assertThat(literal.isComplete()).as("a literal needs no worker thread").isTrue();
      assertThat(literal.result().getHostAddress()).isEqualTo("127.0.0.1");
      io.vertx.core.Future<InetAddress> denied = policy.resolve(vertx, "169.254.169.254", AllowedDestinations.ANY,
          "http target t");
      assertThat(denied.failed()).as("use %d of a denied literal", use).isTrue();
      assertThat(denied.cause()).hasMessageContaining("169.254.169.254").hasMessageContaining("deny-destinations");
      io.vertx.core.Future<InetAddress> bracketed = policy.resolve(vertx, "[::1]", AllowedDestinations.ANY, "t");
      assertThat(bracketed.result().isLoopbackAddress()).isTrue();
    }
    assertThat(policy.resolve(vertx, "127.0.0.1", tenOnly(), "t").failed())
        .as("a literal seen before still goes through the target's allow-list").isTrue();
  }

  /**
   * A target chains its exchange on the resolved address and bounds it with {@code Future.timeout}. The deadline must
   * fire on the event loop that runs the exchange: on a future of no context, Vert.x schedules and cancels it on Netty's
   * global executor, a thread of its own woken twice per delivery (session 31: 9 µs of the node's CPU per entry).
   */
  @Test
  void aDeadlineOnTheAnswerRunsOnTheCallersEventLoop() throws Exception {
    DestinationPolicy policy = DestinationPolicy.denying(List.of("169.254.0.0/16"));
    policy.resolve(vertx, "localhost", AllowedDestinations.ANY, "t").toCompletionStage().toCompletableFuture().get();
    // a literal, and a name looked up a moment ago (within the 5 s it is reused; a name looked up anew answers from a
    // worker on the caller's context, and passes too)
    for (String host : List.of("127.0.0.1", "localhost")) {
      java.util.concurrent.CompletableFuture<String> firedOn = new java.util.concurrent.CompletableFuture<>();
      io.vertx.core.Context context = vertx.getOrCreateContext();
      context.runOnContext(v -> policy.resolve(vertx, host, AllowedDestinations.ANY, "http target t")
          .compose(address -> io.vertx.core.Promise.<Void>promise().future()) // an exchange that never answers
          .timeout(20, java.util.concurrent.TimeUnit.MILLISECONDS)
          .onComplete(done -> firedOn.complete(Thread.currentThread().getName()
              + (io.vertx.core.Vertx.currentContext() == context ? " on the caller's context" : ""))));
      assertThat(firedOn.get(5, java.util.concurrent.TimeUnit.SECONDS)).as(host)
          .startsWith("vert.x-eventloop-thread-").endsWith(" on the caller's context");
    }
  }
}
