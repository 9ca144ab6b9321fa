package io.walmesh.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.walmesh.node.namespace.NamespaceConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every example namespace document in cluster-config/ and docker/compose/namespaces/ is valid for a node with the built-in plugins. */
class ExampleConfigsTest extends SingleNodeTest {

  @Test
  void everyExampleNamespaceValidates() throws Exception {
    List<Path> examples;
    try (Stream<Path> files = Files.list(Path.of("..", "cluster-config"));
         Stream<Path> compose = Files.list(Path.of("..", "docker", "compose", "namespaces"))) {
      examples = Stream.concat(files.filter(f -> f.getFileName().toString().matches("namespace.*\\.example\\.json")),
          compose.filter(f -> f.toString().endsWith(".json"))).sorted().toList();
    }
    assertThat(examples).hasSizeGreaterThanOrEqualTo(8);
    for (Path example : examples) {
      NamespaceConfig config = NamespaceConfig.parse(Files.readString(example));
      node.plugins().validate(config);
    }
  }
}
