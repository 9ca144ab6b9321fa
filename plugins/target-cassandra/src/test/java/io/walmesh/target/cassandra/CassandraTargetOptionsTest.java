package io.walmesh.target.cassandra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.config.ConfigException;
import io.walmesh.spi.target.TargetFactory;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** Config errors name the field, with the path the node gives; validation touches no server. */
class CassandraTargetOptionsTest {
  private static final String PATH = "targets[0].config";
  private final TargetFactory factory = new CassandraTargetFactory();

  @Test
  void theFactoryIsFoundByServiceLoader() {
    assertThat(ServiceLoader.load(TargetFactory.class).stream().map(p -> p.get().type()))
        .contains(CassandraTargetFactory.TYPE);
  }

  @Test
  void aMinimalConfigHasDefaults() {
    CassandraTargetOptions options = new CassandraTargetOptions(points("db1:9043", "db2", "[::1]:9044"), PATH);
    assertThat(options.displayContactPoints()).isEqualTo("[db1:9043, db2:9042, ::1:9044]");
    assertThat(options.localDatacenter).isEqualTo(CassandraTargetOptions.DEFAULT_LOCAL_DATACENTER);
    assertThat(options.keyspace).isNull();
    assertThat(options.username).isNull();
    assertThat(options.timeoutMs).isEqualTo(CassandraTargetOptions.DEFAULT_TIMEOUT_MS);
    assertThat(options.consistency).isEqualTo(DefaultConsistencyLevel.LOCAL_QUORUM);
  }

  @Test
  void aFullConfigIsAccepted() {
    CassandraTargetOptions options = new CassandraTargetOptions(points("10.0.0.1:9042")
        .put("local-datacenter", "eu-west")
        .put("keyspace", "Shop")
        .put("username", "writer")
        .put("password", "secret")
        .put("timeout-ms", 2_000)
        .put("consistency", "each-quorum"), PATH);
    assertThat(options.keyspace).isEqualTo("shop");
    assertThat(options.consistency).isEqualTo(DefaultConsistencyLevel.EACH_QUORUM);
  }

  @Test
  void errorsNameTheField() {
    assertField(new JsonObject(), "contact-points", "required");
    assertField(new JsonObject().put("contact-points", new JsonArray()), "contact-points", "at least one");
    assertField(new JsonObject().put("contact-points", "db1:9042"), "contact-points", "must be an array");
    assertField(new JsonObject().put("contact-points", new JsonArray().add(9042)), "contact-points[0]",
        "\"host:port\" string");
    assertField(points("db1:port"), "contact-points[0]", "host:port");
    assertField(points("db1", "db2:70000"), "contact-points[1]", "between 1 and 65535");
    assertField(points("::1"), "contact-points[0]", "[addr]:port");
    assertField(points("db1").put("keyspace", "shop; DROP"), "keyspace", "plain CQL identifier");
    assertField(points("db1").put("username", "writer"), "password", "give both or neither");
    assertField(points("db1").put("password", "secret"), "username", "give both or neither");
    assertField(points("db1").put("timeout-ms", 0), "timeout-ms", "between 1 and");
    assertField(points("db1").put("consistency", "most"), "consistency", "must be one of");
    assertField(points("db1").put("consistency", "serial"), "consistency", "conditional updates only");
    assertField(points("db1").put("local-datacenter", " "), "local-datacenter", "must not be empty");
    assertField(points("db1").put("contact-point", "db1"), "contact-point", "unknown field");
  }

  private static JsonObject points(String... points) {
    JsonArray array = new JsonArray();
    for (String point : points) {
      array.add(point);
    }
    return new JsonObject().put("contact-points", array);
  }

  private void assertField(JsonObject config, String field, String problem) {
    assertThatThrownBy(() -> factory.validate(config, PATH))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(problem)
        .satisfies(e -> assertThat(((ConfigException) e).field()).isEqualTo(PATH + "." + field));
  }
}
