package io.walmesh.target.memcached;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.target.TargetFactory;
import java.io.IOException;
import java.io.InputStream;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** The jar carries what the node's plugin runtime reads: the descriptor and the service file. */
class PluginPackagingTest {

  @Test
  void theDescriptorNamesThePluginItsVersionAndItsTarget() throws IOException {
    try (InputStream in = getClass().getClassLoader().getResourceAsStream("META-INF/walmesh-plugin.json")) {
      assertThat(in).as("META-INF/walmesh-plugin.json").isNotNull();
      JsonObject descriptor = new JsonObject(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
      assertThat(descriptor.getString("id")).isEqualTo("memcached");
      assertThat(descriptor.getString("version")).isEqualTo(System.getProperty("walmesh.expected-plugin-version"))
          .doesNotContain("${");
      assertThat(descriptor.getString("description")).isNotBlank();
      assertThat(descriptor.getJsonArray("targets")).isEqualTo(new JsonArray().add("memcached"));
    }
  }

  @Test
  void theServiceFileRegistersTheFactory() {
    assertThat(ServiceLoader.load(TargetFactory.class).stream().map(p -> p.get().type()))
        .contains(MemcachedTargetFactory.TYPE);
  }
}
