package io.walmesh.node;

import static io.walmesh.node.TestNodes.request;
import static io.walmesh.node.TestNodes.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.node.cli.WalmeshCommand;
import io.walmesh.testkit.Memcached;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The plugin jars this repository ships, as the build packaged them, installed into a running node
 * with the CLI the way a user installs a third-party plugin.
 */
class ShippedPluginsTest extends SingleNodeTest {

  /** The packaged jar named by a system property the build sets. */
  static Path shippedJar(String property) {
    String path = System.getProperty(property);
    assertThat(path).as("system property " + property + " (set by verticles/pom.xml)").isNotNull();
    Path jar = Path.of(path);
    assertThat(jar).as("the plugin jar; build it first, e.g. ./mvnw -pl examples/target-plugin-example package").exists();
    return jar;
  }

  static int cli(String... args) {
    return new CommandLine(new WalmeshCommand()).execute(args);
  }

  @Test
  void theExampleJsonlPluginInstallsWithTheCliAndAppendsEachEntry() throws Exception {
    String adminUrl = "http://127.0.0.1:" + node.adminPort();
    assertThat(cli("plugins", "install", "--admin", adminUrl, shippedJar("walmesh.test.plugin.jsonl").toString())).isZero();
    assertThat(admin.get("/v1/plugins").body().getJsonArray("plugins").getJsonObject(0).getString("id"))
        .isEqualTo("example-jsonl");

    TestNodes.create(admin, new JsonObject().put("name", "audit")
        .put("targets", new JsonArray().add(new JsonObject().put("name", "file").put("type", "jsonl")
            .put("config", new JsonObject().put("file", "audit/entries.jsonl"))))
        .put("consumer", new JsonObject().put("poll-interval-ms", 20)));
    String id = PluginHotLoadTest.entryId(write(grpc, request("audit", "order 42 paid").setKey("order-42").build()));

    Path file = dataDir.resolve("plugins").resolve("audit/entries.jsonl");
    await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(file) && !Files.readAllLines(file).isEmpty());
    List<String> lines = Files.readAllLines(file);
    JsonObject line = new JsonObject(lines.get(0));
    assertThat(line.getString("entry-id")).isEqualTo(id);
    assertThat(line.getString("key")).isEqualTo("order-42");
    assertThat(new String(Base64.getDecoder().decode(line.getString("payload-base64")), StandardCharsets.UTF_8))
        .isEqualTo("order 42 paid");

    assertThat(cli("plugins", "remove", "--admin", adminUrl, "example-jsonl")).as("refused while audit uses it").isEqualTo(1);
    assertThat(admin.call("DELETE", "/v1/namespaces/audit?force=true", null).status()).isEqualTo(200);
    assertThat(cli("plugins", "remove", "--admin", adminUrl, "example-jsonl")).isZero();
  }

  @Test
  void theMemcachedPluginHotLoadsAndAppliesSetsAndDeletesInKeyOrder() throws Exception {
    try (Memcached memcached = Memcached.startNew()) {
      String adminUrl = "http://127.0.0.1:" + node.adminPort();
      assertThat(cli("plugins", "install", "--admin", adminUrl, shippedJar("walmesh.test.plugin.memcached").toString()))
          .isZero();
      TestNodes.create(admin, new JsonObject().put("name", "evcache").put("ordering", "per-key")
          .put("targets", new JsonArray().add(new JsonObject().put("name", "cache").put("type", "memcached")
              .put("config", new JsonObject().put("servers", new JsonArray().add(memcached.server())))))
          .put("retry", new JsonObject().put("max-attempts", 100).put("initial-backoff-ms", 50))
          .put("consumer", new JsonObject().put("poll-interval-ms", 20)));
      for (int i = 1; i <= 10; i++) {
        PluginHotLoadTest.entryId(write(grpc, request("evcache", "{\"op\":\"set\",\"value\":\"v" + i + "\"}")
            .setKey("session:1").build()));
        PluginHotLoadTest.entryId(write(grpc, request("evcache", "{\"op\":\"set\",\"value\":\"w" + i + "\"}")
            .setKey("session:2").build()));
      }
      PluginHotLoadTest.entryId(write(grpc, request("evcache", "{\"op\":\"delete\"}").setKey("session:2").build()));

      await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
        assertThat(get(memcached, "session:1")).isEqualTo("v10");
        assertThat(get(memcached, "session:2")).isNull();
      });
      assertThat(admin.call("DELETE", "/v1/namespaces/evcache?force=true", null).status()).isEqualTo(200);
      assertThat(cli("plugins", "remove", "--admin", adminUrl, "memcached")).isZero();
    }
  }

  /** Reads a key with the plain memcached text protocol; null when absent. */
  static String get(Memcached memcached, String key) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", memcached.port())) {
      socket.setSoTimeout(5_000);
      socket.getOutputStream().write(("get " + key + "\r\n").getBytes(StandardCharsets.US_ASCII));
      BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
      String header = in.readLine();
      if (header == null || header.equals("END")) {
        return null;
      }
      return in.readLine();
    }
  }
}
