package io.walmesh.target.walmesh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.config.ConfigException;
import org.junit.jupiter.api.Test;

/** Bad configs are refused with the field named; good ones read as written. */
class WalmeshTargetOptionsTest {
  final WalmeshTargetFactory factory = new WalmeshTargetFactory();

  @Test
  void readsEndpointsNamespaceAndTimeout() {
    WalmeshTargetOptions options = new WalmeshTargetOptions(new JsonObject()
        .put("endpoints", new JsonArray().add("eu-1.example:9090").add("10.0.0.2:9191"))
        .put("namespace", "cache-eu").put("timeout-ms", 2_000), "config");
    assertThat(options.endpoints).hasSize(2);
    assertThat(options.endpoints.get(1).port()).isEqualTo(9191);
    assertThat(options.namespace).isEqualTo("cache-eu");
    assertThat(options.timeoutMs).isEqualTo(2_000);
  }

  @Test
  void badConfigsNameTheField() {
    assertThatThrownBy(() -> factory.validate(new JsonObject(), "targets[0].config"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("targets[0].config.endpoints");
    assertThatThrownBy(() -> factory.validate(new JsonObject().put("endpoints", new JsonArray().add("nohost")), "c"))
        .hasMessageContaining("c.endpoints[0]").hasMessageContaining("host:port");
    assertThatThrownBy(() -> factory.validate(new JsonObject().put("endpoints", new JsonArray().add("h:70000")), "c"))
        .hasMessageContaining("between 1 and 65535");
    assertThatThrownBy(() -> factory.validate(new JsonObject().put("endpoints", new JsonArray().add("h:1"))
        .put("regions", 1), "c")).hasMessageContaining("regions");
  }

  @Test
  void tlsAndTokenAreCheckedBeforeAnyCall() {
    JsonObject base = new JsonObject().put("endpoints", new JsonArray().add("eu-1.example:9090"));
    assertThatThrownBy(() -> factory.validate(base.copy().put("token", "t"), "c"))
        .hasMessageContaining("c.token").hasMessageContaining("needs \"tls\"");
    assertThatThrownBy(() -> factory.validate(base.copy().put("tls", true).put("token", "two words"), "c"))
        .hasMessageContaining("c.token").hasMessageContaining("without spaces");
    assertThatThrownBy(() -> factory.validate(base.copy().put("tls", new JsonObject().put("ca", "/etc/ssl/ca.pem")), "c"))
        .hasMessageContaining("c.tls.ca").hasMessageContaining("PEM text").hasMessageContaining("${file:");
    assertThatThrownBy(() -> factory.validate(base.copy().put("tls", new JsonObject()
        .put("client-cert", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----")), "c"))
        .hasMessageContaining("c.tls.private-key").hasMessageContaining("needs its key");
    assertThatThrownBy(() -> factory.validate(base.copy().put("tls", "yes"), "c")).hasMessageContaining("c.tls");
    WalmeshTargetOptions referenced = new WalmeshTargetOptions(base.copy().put("tls", new JsonObject()
        .put("ca", "${file:remote-ca.pem}")).put("token", "${env:WALMESH_SECRET_EU}"), "c");
    assertThat(referenced.tls).as("references are resolved by the node before create").isTrue();
  }
}
