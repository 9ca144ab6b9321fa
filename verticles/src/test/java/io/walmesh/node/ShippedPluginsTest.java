package io.walmesh.node;

import static io.walmesh.node.TestNodes.request;
import static io.walmesh.node.TestNodes.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.node.cli.WalmeshCommand;
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
}
