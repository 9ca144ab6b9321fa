package io.walmesh.node;

import static io.walmesh.node.TestNodes.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.walmesh.testkit.PluginJar;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Only trusted code (issue #15): with {@code plugins.allowed-sha256}, a node loads only the jars
 * listed, whether uploaded or dropped into its plugins directory, and a refused jar runs nothing:
 * its factory's static initializer would leave a marker.
 */
class PluginAllowListTest {
  @TempDir
  Path dir;

  private static PluginJar plugin(String id, String pkg) {
    return TestNodes.markerPlugin(id, pkg);
  }

  private static String sha256(Path file) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }

  @Test
  void onlyListedJarsAreLoadedAndARefusedJarRunsNothing() throws Exception {
    Path trusted = plugin("trusted", "com.example.trusted").writeTo(dir.resolve("trusted.jar"));
    Path rogue = plugin("rogue", "com.example.rogue").writeTo(dir.resolve("rogue.jar"));
    Node node = await(new Node(new NodeOptions().nodeId("allow").dataDir(dir.resolve("data")).grpc("127.0.0.1", 0)
        .admin("127.0.0.1", 0).pluginScanIntervalMs(100).allowedPluginSha256(Set.of(sha256(trusted)))).start());
    try {
      AdminHttp admin = new AdminHttp(node.adminPort());
      AdminHttp.Response refused = admin.postFile("/v1/plugins", rogue);
      assertThat(refused.status()).as(refused.text()).isEqualTo(403);
      assertThat(refused.text()).contains("sha256 " + sha256(rogue)).contains("plugins.allowed-sha256")
          .contains("nothing in it was loaded");
      assertThat(System.getProperty("walmesh.test.ran.rogue")).as("the refused jar ran no code").isNull();

      // dropped into the plugins directory: reported as broken, still not run
      Files.copy(rogue, dir.resolve("data").resolve("plugin-jars").resolve("rogue.jar"));
      await().atMost(Duration.ofSeconds(10)).until(() -> admin.get("/v1/plugins").text().contains("allowed-sha256"));
      assertThat(System.getProperty("walmesh.test.ran.rogue")).isNull();

      AdminHttp.Response installed = admin.postFile("/v1/plugins", trusted);
      assertThat(installed.status()).as(installed.text()).isEqualTo(201);
      assertThat(admin.get("/v1/plugins").text()).contains("\"trusted\"");
    } finally {
      await(node.stop());
    }
  }

  @Test
  void theNodeConfigRefusesADigestThatIsNotOne() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> NodeOptions.fromJson("{\"plugins\": {\"allowed-sha256\": [\"abc\"]}}"))
        .hasMessageContaining("plugins.allowed-sha256[0]").hasMessageContaining("64 hex digits");
  }
}
