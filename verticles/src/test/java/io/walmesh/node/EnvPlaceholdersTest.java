package io.walmesh.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import io.walmesh.spi.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ${NAME}} in node config files, as the container image and the Kubernetes manifests use them. */
class EnvPlaceholdersTest {

  @Test
  void fillsStringsNumbersBooleansAndListsFromTheEnvironment() {
    String text = """
        {"node-id": "${ID}", "data-dir": "/data/${ID}", "insecure": ${INSECURE:-false},
         "grpc": {"port": ${PORT:-9090}}, "members": ${MEMBERS}, "cost": "$$5"}""";
    JsonObject json = new JsonObject(EnvPlaceholders.expand(text,
        Map.of("ID", "walmesh-2", "MEMBERS", "[\"walmesh-1\",\"walmesh-2\"]", "INSECURE", "true")));
    assertThat(json.getString("node-id")).isEqualTo("walmesh-2");
    assertThat(json.getString("data-dir")).isEqualTo("/data/walmesh-2");
    assertThat(json.getBoolean("insecure")).isTrue();
    assertThat(json.getJsonObject("grpc").getInteger("port")).isEqualTo(9090);
    assertThat(json.getJsonArray("members").getList()).containsExactly("walmesh-1", "walmesh-2");
    assertThat(json.getString("cost")).isEqualTo("$5");
  }

  @Test
  void aValueCannotChangeTheDocumentsShape() {
    String hostile = "x\", \"insecure\": true, \"y\": \"";
    JsonObject json = new JsonObject(EnvPlaceholders.expand("{\"node-id\": \"${ID}\"}", Map.of("ID", hostile)));
    assertThat(json.fieldNames()).containsExactly("node-id");
    assertThat(json.getString("node-id")).isEqualTo(hostile);

    assertThatThrownBy(() -> EnvPlaceholders.expand("{\"insecure\": ${V}}", Map.of("V", "true, \"admin\": {}")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("${V} is outside quotes, so its value must be one JSON value");
  }

  @Test
  void aMissingVariableIsRefusedWithItsNameAndLine() {
    assertThatThrownBy(() -> EnvPlaceholders.expand("{\n\"node-id\": \"${WALMESH_NODE_ID}\"}", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("(line 2): ${WALMESH_NODE_ID} is not set in the environment; set it, or give a default with"
            + " ${WALMESH_NODE_ID:-value}");
    assertThatThrownBy(() -> EnvPlaceholders.expand("{\"a\": \"${not a name}\"}", Map.of()))
        .hasMessageContaining("does not name an environment variable");
    assertThatThrownBy(() -> EnvPlaceholders.expand("[\"${OPEN\"]", Map.of()))
        .hasMessageContaining("without a closing");
  }

  /** The node configs the image ships (and compose and Kubernetes use) are valid node configs once filled. */
  @Test
  void theImagesConfigsAreValid(@TempDir Path certs) throws Exception {
    io.walmesh.node.tls.CertificateAuthority.createAll(certs, List.of("walmesh-1"), "walmesh-client");
    Files.writeString(certs.resolve("mesh.secret"), io.walmesh.node.mesh.MeshSeal.newSecret() + "\n");
    List<Path> configs;
    try (Stream<Path> files = Files.list(Path.of("..", "docker", "config"))) {
      configs = files.filter(f -> f.toString().endsWith(".json")).sorted().toList();
    }
    assertThat(configs).extracting(f -> f.getFileName().toString())
        .contains("node.json", "mesh.json", "mesh-secure.json", "kubernetes.json");
    Map<String, String> env = Map.of("WALMESH_NODE_ID", "walmesh-1", "WALMESH_HOST", "10.0.0.5",
        "WALMESH_CERTS", certs.toString(), "WALMESH_K8S_NAMESPACE", "walmesh");
    for (Path config : configs) {
      NodeOptions options = NodeOptions.fromJson(EnvPlaceholders.expand(Files.readString(config), env));
      assertThat(options.nodeId()).as(config.toString()).isEqualTo("walmesh-1");
    }
  }
}
