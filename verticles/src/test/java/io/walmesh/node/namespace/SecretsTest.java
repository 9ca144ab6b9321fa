package io.walmesh.node.namespace;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What an answer shows instead of a secret, and where. */
class SecretsTest {
  @Test
  void urlUserinfoIsReplacedAndTheRestOfTheUrlKept() {
    assertThat(Secrets.redactUrl("redis://app:hunter2@cache.internal:6379/0"))
        .isEqualTo("redis://(redacted)@cache.internal:6379/0");
    assertThat(Secrets.redactUrl("failed to reach https://u@h.example/x and http://a:b@c/"))
        .isEqualTo("failed to reach https://(redacted)@h.example/x and http://(redacted)@c/");
    assertThat(Secrets.redactUrl("mail ops@example.com")).isEqualTo("mail ops@example.com");
  }

  @Test
  void declaredPathsMatchKeysThatContainDots() {
    JsonObject document = new JsonObject()
        .put("backend", new JsonObject().put("type", "kafka").put("config", new JsonObject()
            .put("kafka", new JsonObject().put("ssl.keystore.key", "-----BEGIN PRIVATE KEY-----").put("acks", "all"))))
        .put("targets", new JsonArray().add(new JsonObject().put("type", "dsn").put("config", new JsonObject()
            .put("dsn", "db2://x").put("other", "shown"))));
    JsonObject shown = Secrets.redact(document, (kind, type) -> kind.equals("backend")
        ? Set.of("kafka.ssl.keystore.key", "kafka.missing") : Set.of("dsn", "nested.absent"));
    assertThat(shown.getJsonObject("backend").getJsonObject("config").getJsonObject("kafka").getString("ssl.keystore.key"))
        .isEqualTo(Secrets.REDACTED);
    assertThat(shown.getJsonObject("backend").getJsonObject("config").getJsonObject("kafka").getString("acks")).isEqualTo("all");
    JsonObject target = shown.getJsonArray("targets").getJsonObject(0).getJsonObject("config");
    assertThat(target.getString("dsn")).isEqualTo(Secrets.REDACTED);
    assertThat(target.getString("other")).isEqualTo("shown");
    assertThat(target.containsKey("nested")).as("absent paths add nothing").isFalse();
    assertThat(document.getJsonArray("targets").getJsonObject(0).getJsonObject("config").getString("dsn"))
        .as("the document itself is untouched").isEqualTo("db2://x");
  }
}
