package io.walmesh.target.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import io.walmesh.spi.config.ConfigException;
import io.walmesh.spi.target.TargetFactory;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** Config errors name the field, with the path the node gives; validation touches no server. */
class RedisTargetOptionsTest {
  private static final String PATH = "targets[0].config";
  private final TargetFactory factory = new RedisTargetFactory();

  @Test
  void theFactoryIsFoundByServiceLoader() {
    assertThat(ServiceLoader.load(TargetFactory.class).stream().map(p -> p.get().type()))
        .contains(RedisTargetFactory.TYPE);
  }

  @Test
  void aMinimalConfigHasDefaults() {
    RedisTargetOptions options = new RedisTargetOptions(new JsonObject().put("endpoint", "redis://cache:6380/2"), PATH);
    assertThat(options.maxPoolSize).isEqualTo(RedisTargetOptions.DEFAULT_MAX_POOL_SIZE);
    assertThat(options.timeoutMs).isEqualTo(RedisTargetOptions.DEFAULT_TIMEOUT_MS);
    assertThat(options.keyPrefix).isEmpty();
    assertThat(options.tombstoneRetentionMs).isEqualTo(RedisTargetOptions.DEFAULT_TOMBSTONE_RETENTION_MS);
    assertThat(options.displayEndpoint).isEqualTo("redis://cache:6380/2");
  }

  @Test
  void aFullConfigIsAccepted() {
    factory.validate(new JsonObject()
        .put("endpoint", "redis://127.0.0.1:6379/0")
        .put("password", "secret")
        .put("max-pool-size", 16)
        .put("timeout-ms", 2_000)
        .put("key-prefix", "eu:")
        .put("tombstone-retention-ms", 3_600_000), PATH);
  }

  @Test
  void errorsNameTheField() {
    assertField(new JsonObject(), "endpoint", "required");
    assertField(new JsonObject().put("endpoint", "http://cache:6379"), "endpoint", "redis://host:port");
    assertField(new JsonObject().put("endpoint", "redis://"), "endpoint", "redis://host:port");
    assertField(new JsonObject().put("endpoint", "redis://cache:6379/zero"), "endpoint", "database number");
    assertField(new JsonObject().put("endpoint", "redis://cache:6379").put("pasword", "x"), "pasword", "unknown field");
    assertField(new JsonObject().put("endpoint", "redis://:secret@cache:6379").put("password", "x"), "password",
        "one place");
    assertField(new JsonObject().put("endpoint", "redis://cache").put("max-pool-size", 0), "max-pool-size",
        "between 1 and");
    assertField(new JsonObject().put("endpoint", "redis://cache").put("timeout-ms", "5s"), "timeout-ms",
        "must be an integer");
    assertField(new JsonObject().put("endpoint", "redis://cache").put("key-prefix", 7), "key-prefix",
        "must be a string");
    assertField(new JsonObject().put("endpoint", "redis://cache").put("tombstone-retention-ms", 10),
        "tombstone-retention-ms", "between 1000 and");
  }

  @Test
  void aPasswordInTheEndpointIsNotEchoedInErrors() {
    assertThatThrownBy(() -> factory.validate(new JsonObject().put("endpoint", "redis://:hunter2@cache:6379/x"), PATH))
        .isInstanceOf(ConfigException.class)
        .hasMessageNotContaining("hunter2");
  }

  private void assertField(JsonObject config, String field, String problem) {
    assertThatThrownBy(() -> factory.validate(config, PATH))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(problem)
        .satisfies(e -> assertThat(((ConfigException) e).field()).isEqualTo(PATH + "." + field));
  }
}
