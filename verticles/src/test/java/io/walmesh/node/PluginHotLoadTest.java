package io.walmesh.node;

import static io.walmesh.node.TestNodes.request;
import static io.walmesh.node.TestNodes.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.node.gateway.GrpcWriteClient;
import io.walmesh.testkit.PluginJar;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Target plugins built as real jars at test time and installed, upgraded and removed on a running
 * node through the admin API and the plugins directory, while writes flow.
 */
class PluginHotLoadTest extends SingleNodeTest {
  @TempDir
  Path jars;
  /** Every delivery a test plugin made: "version|entry id|payload" by address. */
  final Map<String, List<String>> received = new ConcurrentHashMap<>();
  final List<MessageConsumer<String>> consumers = new ArrayList<>();

  @BeforeEach
  void listen() {
    for (String address : List.of("echo.out", "liba.out", "libb.out", "dropped.out")) {
      received.put(address, java.util.Collections.synchronizedList(new ArrayList<>()));
      consumers.add(node.vertx().eventBus().<String>consumer(address, m -> {
        received.get(address).add(m.body());
        m.reply(null);
      }));
    }
  }

  @AfterEach
  void unlisten() {
    for (MessageConsumer<String> consumer : consumers) {
      try {
        consumer.unregister();
      } catch (RuntimeException closedWithARestartedNode) {
        // its Vert.x is gone
      }
    }
  }

  /** A plugin whose target type sends "<version>|<entry id>|<payload>" to an event-bus address. */
  static PluginJar echoPlugin(String id, String type, String version, String pkg, String extraImport, String versionExpr) {
    String factory = pkg + ".EchoFactory";
    return PluginJar.create()
        .descriptor(id, version, type)
        .targetFactories(factory)
        .source(factory, """
            package %s;
            import io.vertx.core.json.JsonObject;
            import io.walmesh.spi.PluginContext;
            import io.walmesh.spi.config.ConfigException;
            import io.walmesh.spi.target.Target;
            import io.walmesh.spi.target.TargetFactory;
            %s
            public final class EchoFactory implements TargetFactory {
              public String type() { return "%s"; }
              public void validate(JsonObject config, String path) {
                if (!(config.getValue("address") instanceof String)) {
                  throw new ConfigException(path + ".address", "is required: the event-bus address to send to");
                }
              }
              public Target create(PluginContext context, String name, JsonObject config) {
                String address = config.getString("address");
                return d -> context.vertx().eventBus()
                    .request(address, %s + "|" + d.entryId() + "|" + d.payload().toString()).mapEmpty();
              }
            }
            """.formatted(pkg, extraImport, type, versionExpr));
  }

  Path echoJar(String version) {
    return echoPlugin("echo", "echo", version, "com.example.echo", "", "\"" + version + "\"")
        .writeTo(jars.resolve("echo-" + version + ".jar"));
  }

  static JsonObject namespace(String name, String type, String address) {
    return new JsonObject().put("name", name)
        .put("targets", new JsonArray().add(new JsonObject().put("name", "out").put("type", type)
            .put("config", new JsonObject().put("address", address))))
        .put("retry", new JsonObject().put("max-attempts", 1000).put("initial-backoff-ms", 50).put("max-backoff-ms", 200)
            .put("jitter", 0.0))
        .put("consumer", new JsonObject().put("poll-interval-ms", 20));
  }

  static String entryId(GrpcWriteClient.Result result) {
    assertThat(result.ok()).as(result.statusMessage()).isTrue();
    assertThat(result.response().getDurable().name()).isEqualTo("SUCCESS");
    return result.response().getEntryId();
  }

  Set<String> deliveredIds(String address, String version) {
    Set<String> ids = ConcurrentHashMap.newKeySet();
    synchronized (received.get(address)) {
      for (String line : received.get(address)) {
        String[] parts = line.split("\\|", 3);
        if (version == null || parts[0].equals(version)) {
          ids.add(parts[1]);
        }
      }
    }
    return ids;
  }

  @Test
  void installUpgradeAndRemoveWhileWritesFlowLosesNoAckedEntry() throws Exception {
    AdminHttp.Response installed = admin.postFile("/v1/plugins", echoJar("1.0.0"));
    assertThat(installed.status()).as(installed.text()).isEqualTo(201);
    assertThat(installed.body().getString("version")).isEqualTo("1.0.0");
    TestNodes.create(admin, namespace("hot", "echo", "echo.out"));
    String first = entryId(write(grpc, request("hot", "first").build()));
    await().atMost(Duration.ofSeconds(10)).until(() -> deliveredIds("echo.out", "1.0.0").contains(first));
    WeakReference<ClassLoader> v1Loader = node.pluginManager().classLoaderOf("echo");

    // writers keep going while v2 replaces v1
    Set<String> acked = ConcurrentHashMap.newKeySet();
    AtomicBoolean writing = new AtomicBoolean(true);
    Thread writer = new Thread(() -> {
      for (int i = 0; writing.get(); i++) {
        acked.add(entryId(write(grpc, request("hot", "w" + i).build())));
      }
    });
    writer.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> acked.size() >= 20);
    Path v2 = echoJar("2.0.0");
    AdminHttp.Response upgraded = admin.postFile("/v1/plugins", v2);
    assertThat(upgraded.status()).as(upgraded.text()).isEqualTo(201);
    int ackedAtUpgrade = acked.size();
    await().atMost(Duration.ofSeconds(10)).until(() -> acked.size() >= ackedAtUpgrade + 20);
    writing.set(false);
    writer.join();

    await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
        assertThat(deliveredIds("echo.out", null)).containsAll(acked));
    assertThat(deliveredIds("echo.out", "2.0.0")).as("entries written after the upgrade went through v2").isNotEmpty();
    String after = entryId(write(grpc, request("hot", "after").build()));
    await().atMost(Duration.ofSeconds(10)).until(() -> deliveredIds("echo.out", "2.0.0").contains(after));
    // the same jar again (a retried upload) changes nothing and leaves the running version intact
    AdminHttp.Response same = admin.postFile("/v1/plugins", v2);
    assertThat(same.status()).isEqualTo(201);
    assertThat(same.body().getBoolean("unchanged")).isTrue();
    String stillThere = entryId(write(grpc, request("hot", "after-same").build()));
    await().atMost(Duration.ofSeconds(10)).until(() -> deliveredIds("echo.out", "2.0.0").contains(stillThere));

    JsonObject list = admin.get("/v1/plugins").body();
    assertThat(list.getJsonArray("plugins")).hasSize(1);
    JsonObject echo = list.getJsonArray("plugins").getJsonObject(0);
    assertThat(echo.getString("version")).isEqualTo("2.0.0");
    assertThat(echo.getJsonArray("namespaces")).containsExactly("hot");
    try (var files = Files.list(node.pluginManager().jarsDirectory())) {
      assertThat(files.map(f -> f.getFileName().toString())).as("the v1 jar left the plugins directory")
          .containsExactly("echo-2.0.0.jar");
    }
    assertThat(collected(v1Loader)).as("v1's class loader is released after the upgrade").isTrue();

    // removal is refused while the namespace uses the type ...
    AdminHttp.Response refused = admin.call("DELETE", "/v1/plugins/echo", null);
    assertThat(refused.status()).isEqualTo(409);
    assertThat(refused.body().getString("error")).contains("hot").contains("force");
    // ... and with force, deliveries pause while writes are still acked, and resume on reinstall
    AdminHttp.Response forced = admin.call("DELETE", "/v1/plugins/echo?force=true", null);
    assertThat(forced.status()).as(forced.text()).isEqualTo(200);
    assertThat(forced.body().getJsonArray("paused-namespaces")).containsExactly("hot");
    assertThat(admin.get("/v1/namespaces/hot").body().getString("state")).isEqualTo("paused");
    String waiting = entryId(write(grpc, request("hot", "while-removed").build()));
    // no consumer runs while the type is gone: the entry is stored and waits
    await().atMost(Duration.ofSeconds(10)).until(() ->
        admin.get("/v1/namespaces/hot").body().getJsonObject("stats").getLong("pending") == 1);
    assertThat(deliveredIds("echo.out", null)).doesNotContain(waiting);
    assertThat(admin.postFile("/v1/plugins", echoJar("2.1.0")).status()).isEqualTo(201);
    await().atMost(Duration.ofSeconds(10)).until(() -> deliveredIds("echo.out", "2.1.0").contains(waiting));
    assertThat(admin.get("/v1/namespaces/hot").body().getString("state")).isEqualTo("running");
    assertThat(admin.call("DELETE", "/v1/namespaces/hot?force=true", null).status()).isEqualTo(200);
    assertThat(admin.call("DELETE", "/v1/plugins/echo", null).status()).isEqualTo(200);
  }

  @Test
  void aNamespaceWhosePluginIsGoneAtRestartLoadsWhenThePluginIsBackAndDeliversWhatWaited() {
    assertThat(admin.postFile("/v1/plugins", echoJar("1.0.0")).status()).isEqualTo(201);
    TestNodes.create(admin, namespace("comeback", "echo", "echo.restart"));
    assertThat(admin.call("DELETE", "/v1/plugins/echo?force=true", null).status()).isEqualTo(200);
    String waiting = entryId(write(grpc, request("comeback", "waited").build()));

    restartNode();
    java.util.List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
    node.vertx().eventBus().<String>consumer("echo.restart", m -> {
      lines.add(m.body());
      m.reply(null);
    });
    assertThat(admin.get("/v1/namespaces/comeback").status()).as("its type is not installed").isEqualTo(404);
    assertThat(admin.get("/v1/health").body().getString("status")).isEqualTo("DEGRADED");

    assertThat(admin.postFile("/v1/plugins", echoJar("1.0.1")).status()).isEqualTo(201);
    await().atMost(Duration.ofSeconds(15)).until(() -> lines.contains("1.0.1|" + waiting + "|waited"));
    assertThat(admin.get("/v1/namespaces/comeback").body().getString("state")).isEqualTo("running");
    assertThat(admin.call("DELETE", "/v1/namespaces/comeback?force=true", null).status()).isEqualTo(200);
    assertThat(admin.call("DELETE", "/v1/plugins/echo", null).status()).isEqualTo(200);
  }

  static boolean collected(WeakReference<ClassLoader> loader) {
    try {
      await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100)).until(() -> {
        System.gc();
        return loader.get() == null;
      });
      return true;
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      return false;
    }
  }

  @Test
  void twoPluginsCarryDifferentVersionsOfOneLibrarySideBySide() {
    Path lib1 = library("1");
    Path lib2 = library("2");
    String versionCall = "com.example.shared.LibVersion.value()";
    Path a = echoPlugin("lib-a", "liba", "1.0.0", "com.example.a", "", versionCall).lib(lib1).writeTo(jars.resolve("a.jar"));
    Path b = echoPlugin("lib-b", "libb", "1.0.0", "com.example.b", "", versionCall).lib(lib2).writeTo(jars.resolve("b.jar"));
    assertThat(admin.postFile("/v1/plugins", a).status()).isEqualTo(201);
    assertThat(admin.postFile("/v1/plugins", b).status()).isEqualTo(201);
    TestNodes.create(admin, namespace("side-a", "liba", "liba.out"));
    TestNodes.create(admin, namespace("side-b", "libb", "libb.out"));
    String ida = entryId(write(grpc, request("side-a", "x").build()));
    String idb = entryId(write(grpc, request("side-b", "y").build()));

    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      assertThat(deliveredIds("liba.out", "shared-1")).containsExactly(ida);
      assertThat(deliveredIds("libb.out", "shared-2")).containsExactly(idb);
    });
    admin.call("DELETE", "/v1/namespaces/side-a?force=true", null);
    admin.call("DELETE", "/v1/namespaces/side-b?force=true", null);
    admin.call("DELETE", "/v1/plugins/lib-a", null);
    admin.call("DELETE", "/v1/plugins/lib-b", null);
  }

  /** A library jar whose one class answers its own version. */
  Path library(String version) {
    return PluginJar.create().source("com.example.shared.LibVersion", """
        package com.example.shared;
        public final class LibVersion {
          public static String value() { return "shared-%s"; }
        }
        """.formatted(version)).writeTo(jars.resolve("shared-" + version + ".jar"));
  }

  @Test
  void brokenJarsAreRefusedWithTheProblemNamedAndTheNodeKeepsWorking() {
    Path garbage = PluginJar.writeBytes(jars.resolve("garbage.jar"), "not a zip".getBytes(StandardCharsets.UTF_8));
    AdminHttp.Response notAJar = admin.postFile("/v1/plugins", garbage);
    assertThat(notAJar.status()).isEqualTo(400);
    assertThat(notAJar.body().getString("error")).contains("not a readable jar");

    Path noDescriptor = echoPlugin("nodesc", "nodesc", "1.0.0", "com.example.nodesc", "", "\"x\"")
        .resource("META-INF/walmesh-plugin.json", "{\"id\": \"Bad Id\"}").writeTo(jars.resolve("nodesc.jar"));
    AdminHttp.Response badDescriptor = admin.postFile("/v1/plugins", noDescriptor);
    assertThat(badDescriptor.status()).isEqualTo(400);
    assertThat(badDescriptor.body().getString("error")).contains("\"id\"").contains("Bad Id");

    Path missingClass = PluginJar.create().descriptor("ghost", "1.0.0", "ghost")
        .targetFactories("com.example.ghost.Missing").writeTo(jars.resolve("ghost.jar"));
    AdminHttp.Response missing = admin.postFile("/v1/plugins", missingClass);
    assertThat(missing.status()).isEqualTo(400);
    assertThat(missing.body().getString("error")).contains("com.example.ghost.Missing");

    Path throwing = PluginJar.create().descriptor("boom", "1.0.0", "boom").targetFactories("com.example.boom.BoomFactory")
        .source("com.example.boom.BoomFactory", """
            package com.example.boom;
            import io.vertx.core.Future;
            import io.vertx.core.json.JsonObject;
            import io.walmesh.spi.PluginContext;
            import io.walmesh.spi.target.Target;
            import io.walmesh.spi.target.TargetFactory;
            public final class BoomFactory implements TargetFactory {
              public String type() { return "boom"; }
              public Future<Void> init(PluginContext context) { throw new IllegalStateException("boom at start"); }
              public void validate(JsonObject config, String path) { }
              public Target create(PluginContext context, String name, JsonObject config) { throw new IllegalStateException(); }
            }
            """).writeTo(jars.resolve("boom.jar"));
    AdminHttp.Response failedStart = admin.postFile("/v1/plugins", throwing);
    assertThat(failedStart.status()).isEqualTo(422);
    assertThat(failedStart.body().getString("error")).contains("boom at start");

    Path builtIn = echoPlugin("fake-http", "http", "1.0.0", "com.example.fake", "", "\"x\"").writeTo(jars.resolve("fake.jar"));
    AdminHttp.Response clash = admin.postFile("/v1/plugins", builtIn);
    assertThat(clash.status()).isEqualTo(409);
    assertThat(clash.body().getString("error")).contains("built into the node");

    assertThat(admin.get("/v1/plugins").body().getJsonArray("plugins")).isEmpty();
    assertThat(admin.call("POST", "/v1/namespaces", namespace("needs-boom", "boom", "x")).status())
        .as("a namespace cannot use a type that failed to load").isEqualTo(400);
    // the node still takes and delivers writes
    TestNodes.create(admin, TestNodes.namespace("still-up", sink.url("/still-up")));
    entryId(write(grpc, request("still-up", "ok").build()));
    await().atMost(Duration.ofSeconds(10)).until(() -> sink.received().size() == 1);
    admin.call("DELETE", "/v1/namespaces/still-up?force=true", null);
  }

  @Test
  void aJarDroppedIntoThePluginsDirectoryIsLoadedAndDeletingItUnloads() throws Exception {
    Path dir = node.pluginManager().jarsDirectory();
    Path jar = echoPlugin("dropped", "dropped", "0.1.0", "com.example.dropped", "", "\"d\"").writeTo(jars.resolve("d.jar"));
    Files.copy(jar, dir.resolve("dropped.jar"), StandardCopyOption.REPLACE_EXISTING);
    Files.copy(PluginJar.writeBytes(jars.resolve("junk.jar"), new byte[] {1, 2, 3}), dir.resolve("junk.jar"));

    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
      JsonObject list = admin.get("/v1/plugins").body();
      assertThat(list.getJsonArray("plugins").stream().map(p -> ((JsonObject) p).getString("id"))).contains("dropped");
      assertThat(list.getJsonArray("broken").encode()).contains("junk.jar").contains("not a readable jar");
    });
    JsonObject health = admin.get("/v1/health").body();
    assertThat(health.getString("status")).isEqualTo("DEGRADED");
    assertThat(health.getJsonArray("broken-plugins").encode()).contains("junk.jar");

    TestNodes.create(admin, namespace("drop", "dropped", "dropped.out"));
    String id = entryId(write(grpc, request("drop", "hello").build()));
    await().atMost(Duration.ofSeconds(10)).until(() -> deliveredIds("dropped.out", "d").contains(id));
    admin.call("DELETE", "/v1/namespaces/drop?force=true", null);

    Files.delete(dir.resolve("dropped.jar"));
    Files.delete(dir.resolve("junk.jar"));
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
      JsonObject list = admin.get("/v1/plugins").body();
      assertThat(list.getJsonArray("plugins")).isEmpty();
      assertThat(list.getJsonArray("broken")).isEmpty();
    });
    assertThat(admin.get("/v1/health").body().getString("status")).isEqualTo("UP");
  }
}
