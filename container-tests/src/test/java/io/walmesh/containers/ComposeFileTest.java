package io.walmesh.containers;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * docker/compose.yaml is a valid compose file, and it and the Kubernetes manifests run the image and the configs
 * these tests start (SecureConfigTest runs mesh-secure.json; MeshTest runs mesh.json; EnvPlaceholdersTest in the
 * node's module checks kubernetes.json).
 */
class ComposeFileTest {
  private static final Path REPO = Path.of(System.getProperty("walmesh.repo", "..")).toAbsolutePath().normalize();

  @Test
  void theComposeFileIsValidAndRunsTheTestedImageAndConfig() throws Exception {
    Path compose = REPO.resolve("docker/compose.yaml");
    Process config = new ProcessBuilder(composeCommand(compose)).redirectErrorStream(true).start();
    String out = new String(config.getInputStream().readAllBytes());
    assertThat(config.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(config.exitValue()).as(out).isZero();
    assertThat(out).contains("dockerfile: docker/Dockerfile").contains("WALMESH_CONFIG: /etc/walmesh/mesh-secure.json")
        .contains("walmesh-1:", "walmesh-2:", "walmesh-3:", "kafka:", "cassandra:", "redis:", "elasticmq:",
            "prometheus:", "grafana:");
  }

  @Test
  void theKubernetesManifestsRunTheSameImageWithTheImagesKubernetesConfig() throws Exception {
    String manifests = Files.readString(REPO.resolve("docker/k8s/walmesh.yaml"));
    assertThat(manifests).contains("image: walmesh/walmesh:latest").contains("value: /etc/walmesh/kubernetes.json")
        .contains("kind: StatefulSet").contains("volumeClaimTemplates").contains("readinessProbe")
        .contains("livenessProbe");
    assertThat(REPO.resolve("docker/config/kubernetes.json")).exists();
  }

  /** {@code docker-compose} (v1, as Debian packages it) or the {@code docker compose} plugin. */
  private static List<String> composeCommand(Path file) throws Exception {
    try {
      Process v1 = new ProcessBuilder("docker-compose", "version").redirectErrorStream(true).start();
      v1.getInputStream().readAllBytes();
      if (v1.waitFor(30, TimeUnit.SECONDS) && v1.exitValue() == 0) {
        return List.of("docker-compose", "-f", file.toString(), "config");
      }
    } catch (java.io.IOException notInstalled) {
      // fall through to the plugin
    }
    return List.of("docker", "compose", "-f", file.toString(), "config");
  }
}
