package io.walmesh.node;

import static io.walmesh.node.TestNodes.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walmesh.node.mesh.ClusterOptions;
import io.walmesh.testkit.FreePorts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secure by default (issue #15, the part that needs no TLS yet): a node refuses to listen beyond
 * loopback unless its config says {@code "insecure": true}, and Hazelcast listens only on
 * {@code cluster.host}, not on every interface.
 */
class ExposureTest {
  @TempDir
  Path dir;

  @Test
  void aNonLoopbackListenerIsRefusedUnlessTheConfigSaysInsecure() {
    Node exposed = new Node(new NodeOptions().nodeId("exposed").dataDir(dir.resolve("a")).grpc("0.0.0.0", 0).admin("127.0.0.1", 0));
    assertThatThrownBy(() -> await(exposed.start()))
        .hasMessageContaining("grpc.host 0.0.0.0 is not a loopback address")
        .hasMessageContaining("\"insecure\": true")
        .hasMessageContaining("docs/security.md");

    assertThatThrownBy(() -> NodeOptions.fromJson("{\"insecure\": \"yes\"}")).hasMessageContaining("insecure");
    NodeOptions parsed = NodeOptions.fromJson("{\"insecure\": true, \"grpc\": {\"host\": \"0.0.0.0\", \"port\": 0},"
        + " \"admin\": {\"port\": 0}, \"data-dir\": \"" + dir.resolve("b") + "\"}");
    Node accepted = await(new Node(parsed.nodeId("accepted")).start());
    try {
      assertThat(accepted.grpcPort()).isPositive();
    } finally {
      await(accepted.stop());
    }
  }

  @Test
  void aMeshBeyondLoopbackNeedsTheMeshSecretAndEventBusTls() throws Exception {
    java.nio.file.Files.createDirectories(dir);
    java.nio.file.Files.writeString(dir.resolve("mesh.secret"), io.walmesh.node.mesh.MeshSeal.newSecret());
    io.walmesh.node.tls.CertificateAuthority.Files certs = io.walmesh.node.tls.CertificateAuthority.createAll(dir.resolve("certs"),
        List.of(), "c");
    String base = "{\"cluster\": {\"host\": \"10.1.2.3\", \"members\": [\"10.1.2.4\"]";
    NodeOptions plain = NodeOptions.fromJson(base + "}}");
    assertThatThrownBy(() -> Node.checkExposure(plain)).hasMessageContaining("cluster.host 10.1.2.3 is not a loopback address")
        .hasMessageContaining("cluster.secret-path").hasMessageContaining("cluster.tls");
    NodeOptions secretOnly = NodeOptions.fromJson(base + ", \"secret-path\": \"" + dir.resolve("mesh.secret") + "\"}}");
    assertThatThrownBy(() -> Node.checkExposure(secretOnly)).hasMessageContaining("cluster.tls");
    NodeOptions secured = NodeOptions.fromJson(base + ", \"secret-path\": \"" + dir.resolve("mesh.secret") + "\", \"tls\": {"
        + "\"cert-path\": \"" + certs.nodeCert() + "\", \"key-path\": \"" + certs.nodeKey() + "\", \"ca-path\": \""
        + certs.caCert() + "\"}}}");
    Node.checkExposure(secured); // no exception: the mesh is sealed and its event bus uses TLS
    assertThatThrownBy(() -> NodeOptions.fromJson(base + ", \"secret-path\": \"" + dir.resolve("nope") + "\"}}"))
        .hasMessageContaining("cluster.secret-path").hasMessageContaining("cannot read");
    assertThatThrownBy(() -> NodeOptions.fromJson(base + ", \"tls\": {\"cert-path\": \"" + certs.nodeCert() + "\"}}}"))
        .hasMessageContaining("cluster.tls.key-path");

    // the hardened example in cluster-config/ reads and may listen on its private address as it is
    java.nio.file.Files.copy(dir.resolve("mesh.secret"), dir.resolve("certs").resolve("mesh.secret"));
    java.nio.file.Files.writeString(dir.resolve("certs").resolve("tokens.json"), "{\"tokens\": []}");
    String example = java.nio.file.Files.readString(Path.of("..", "cluster-config", "node.secure-mesh.example.json"))
        .replace("certs/", dir.resolve("certs") + "/");
    Node.checkExposure(NodeOptions.fromJson(example));
  }

  /** Listening TCP sockets on {@code port}, as local addresses in /proc/net/tcp{,6} hex form. */
  private static List<String> listeners(int port) throws IOException {
    String hexPort = String.format(Locale.ROOT, ":%04X", port);
    List<String> found = new ArrayList<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      for (String line : Files.readAllLines(Path.of(table))) {
        String[] fields = line.trim().split("\\s+");
        if (fields.length > 3 && fields[1].endsWith(hexPort) && fields[3].equals("0A")) { // 0A: LISTEN
          found.add(fields[1]);
        }
      }
    }
    return found;
  }

  @Test
  void hazelcastListensOnlyOnTheClusterHost() throws Exception {
    int port = FreePorts.next();
    Node node = await(new Node(new NodeOptions().nodeId("bound").dataDir(dir.resolve("m")).grpc("127.0.0.1", 0)
        .admin("127.0.0.1", 0).cluster(new ClusterOptions().name("exposure-" + System.nanoTime())
            .members(List.of("127.0.0.1:" + port)).port(port))).start());
    try {
      List<String> sockets = listeners(port);
      assertThat(sockets).as("Hazelcast listens on its port").isNotEmpty();
      for (String address : sockets) {
        String host = address.substring(0, address.indexOf(':'));
        assertThat(host.chars().allMatch(c -> c == '0')).as("a wildcard listener " + address).isFalse();
      }
    } finally {
      await(node.stop());
    }
  }
}
