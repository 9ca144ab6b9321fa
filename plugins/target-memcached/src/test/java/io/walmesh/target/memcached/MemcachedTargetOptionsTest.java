package io.walmesh.target.memcached;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.config.ConfigException;
import org.junit.jupiter.api.Test;

/** Config validation names the field at fault, with its full path, and touches no server. */
class MemcachedTargetOptionsTest {
  private static final String PATH = "targets[0].config";

  @Test
  void defaults() {
    MemcachedTargetOptions options = new MemcachedTargetOptions(servers("cache-a:11211", "[::1]:11212"), PATH);
    assertThat(options.servers).extracting(Object::toString).containsExactly("cache-a:11211", "[::1]:11212");
    assertThat(options.timeoutMs).isEqualTo(MemcachedTargetOptions.DEFAULT_TIMEOUT_MS);
    assertThat(options.maxConnections).isEqualTo(MemcachedTargetOptions.DEFAULT_MAX_CONNECTIONS);
    assertThat(options.keyPrefix).isEmpty();
    assertThat(options.tombstoneRetentionS).isEqualTo(MemcachedTargetOptions.DEFAULT_TOMBSTONE_RETENTION_S);
    assertThat(options.maxValueBytes).isEqualTo(MemcachedTargetOptions.DEFAULT_MAX_VALUE_BYTES);
  }

  @Test
  void badFieldsAreNamed() {
    assertBad(new JsonObject(), "targets[0].config.servers", "required");
    assertBad(new JsonObject().put("servers", new JsonArray()), "targets[0].config.servers", "at least one");
    assertBad(new JsonObject().put("servers", "a:1"), "targets[0].config.servers", "must be an array");
    assertBad(servers("a:1", "b"), "targets[0].config.servers[1]", "must be \"host:port\"");
    assertBad(servers("a:99999"), "targets[0].config.servers[0]", "between 1 and 65535");
    assertBad(servers("a:1", "a:1"), "targets[0].config.servers[1]", "twice");
    assertBad(servers("a:1").put("timeout-ms", 0), "targets[0].config.timeout-ms", "between 10 and");
    assertBad(servers("a:1").put("max-connections", 100), "targets[0].config.max-connections", "between 1 and 64");
    assertBad(servers("a:1").put("key-prefix", "my app:"), "targets[0].config.key-prefix", "space");
    assertBad(servers("a:1").put("tombstone-retention-s", 0), "targets[0].config.tombstone-retention-s", "between 1 and");
    assertBad(servers("a:1").put("max-value-bytes", "1mb"), "targets[0].config.max-value-bytes", "integer");
    assertBad(servers("a:1").put("server", "a:1"), "targets[0].config.server", "unknown field");
  }

  @Test
  void theFactoryValidatesUnderTheGivenPath() {
    assertThatThrownBy(() -> new MemcachedTargetFactory().validate(new JsonObject(), "namespaces.users.targets[2].config"))
        .isInstanceOfSatisfying(ConfigException.class,
            e -> assertThat(e.field()).isEqualTo("namespaces.users.targets[2].config.servers"));
  }

  private static JsonObject servers(String... servers) {
    return new JsonObject().put("servers", new JsonArray(java.util.List.of((Object[]) servers)));
  }

  private static void assertBad(JsonObject config, String field, String problem) {
    assertThatThrownBy(() -> new MemcachedTargetOptions(config, PATH))
        .isInstanceOfSatisfying(ConfigException.class, e -> {
          assertThat(e.field()).isEqualTo(field);
          assertThat(e.getMessage()).contains(problem);
        });
  }
}
