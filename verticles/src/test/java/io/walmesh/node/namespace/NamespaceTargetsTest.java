package io.walmesh.node.namespace;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** Which of a namespace's targets an entry goes to, as docs/namespaces.md says of a target's {@code default}. */
class NamespaceTargetsTest {
  private static NamespaceConfig namespace(JsonObject... targets) {
    JsonArray list = new JsonArray();
    for (JsonObject target : targets) {
      list.add(target);
    }
    return NamespaceConfig.fromJson(new JsonObject().put("name", "targets-test").put("targets", list));
  }

  private static JsonObject target(String name, Boolean isDefault) {
    JsonObject target = new JsonObject().put("name", name).put("type", "http")
        .put("config", new JsonObject().put("url", "http://127.0.0.1:9/" + name));
    return isDefault == null ? target : target.put("default", isDefault);
  }

  @Test
  void anEntryNamingNoTargetGoesToTheDefaultsOrToEveryTargetWhenNoneIsADefault() {
    NamespaceConfig noDefault = namespace(target("a", null), target("b", false));
    assertThat(noDefault.targetsFor("")).extracting(TargetConfig::name).containsExactly("a", "b");
    NamespaceConfig oneDefault = namespace(target("a", null), target("b", true), target("c", false));
    assertThat(oneDefault.targetsFor("")).extracting(TargetConfig::name).containsExactly("b");
    NamespaceConfig twoDefaults = namespace(target("a", true), target("b", false), target("c", true));
    assertThat(twoDefaults.targetsFor("")).extracting(TargetConfig::name).containsExactly("a", "c");
  }

  @Test
  void anEntryNamingATargetGoesOnlyThereDefaultOrNotAndNowhereWhenItIsNotConfigured() {
    NamespaceConfig config = namespace(target("a", true), target("b", false));
    assertThat(config.targetsFor("b")).extracting(TargetConfig::name).containsExactly("b");
    assertThat(config.targetsFor("a")).extracting(TargetConfig::name).containsExactly("a");
    assertThat(config.targetsFor("missing")).isEmpty();
  }
}
