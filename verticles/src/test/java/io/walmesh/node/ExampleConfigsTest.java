package io.walmesh.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.walmesh.node.namespace.NamespaceConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every example namespace document in cluster-config/ is valid for a node with the built-in plugins. */
class ExampleConfigsTest extends SingleNodeTest {

  @Test
  void everyExampleNamespaceValidates() throws Exception {
    List<Path> examples;
    try (Stream<Path> files = Files.list(Path.of("..", "cluster-config"))) {
      examples = files.filter(f -> f.getFileName().toString().matches("namespace.*\\.example\\.json")).sorted().toList();
    }
    assertThat(examples).hasSizeGreaterThanOrEqualTo(5);
    for (Path example : examples) {
      NamespaceConfig config = NamespaceConfig.parse(Files.readString(example));
      node.plugins().validate(config);
    }
  }
}
