package io.walmesh.node.namespace;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.config.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Secrets given by reference in a namespace document, resolved on the node when the config is
 * handed to a plugin, never stored or answered resolved: {@code ${env:NAME}} (an environment
 * variable of the node) and {@code ${file:NAME}} (a file in the node's secrets directory, its
 * trailing newline dropped). References are fenced, so that a person who may edit namespaces
 * cannot make a target send any file or variable of the node elsewhere: variables must start with
 * the node's prefix (default {@value #DEFAULT_ENV_PREFIX}) and files must lie inside the secrets
 * directory (default {@code <data-dir>/secrets}).
 */
public final class SecretReferences {
  public static final String DEFAULT_ENV_PREFIX = "WALMESH_SECRET_";
  private static final Pattern REFERENCE = Pattern.compile("\\$\\{(env|file):([^}]*)}");

  private final Path dir;
  private final String envPrefix;
  private final Function<String, String> env;

  public SecretReferences(Path dir, String envPrefix, Function<String, String> env) {
    this.dir = dir.toAbsolutePath().normalize();
    this.envPrefix = envPrefix;
    this.env = env;
  }

  /** The node's: variables from its environment. */
  public static SecretReferences of(Path dir, String envPrefix) {
    return new SecretReferences(dir, envPrefix, System::getenv);
  }

  /** A copy of a plugin's config section with every reference replaced by its value; {@code path} names the section in errors. */
  public JsonObject resolve(JsonObject config, String path) {
    return (JsonObject) resolveValue(path, config.copy());
  }

  private Object resolveValue(String path, Object value) {
    if (value instanceof JsonObject object) {
      for (Map.Entry<String, Object> entry : object) {
        entry.setValue(resolveValue(path + "." + entry.getKey(), entry.getValue()));
      }
      return object;
    }
    if (value instanceof JsonArray array) {
      for (int i = 0; i < array.size(); i++) {
        array.set(i, resolveValue(path + "[" + i + "]", array.getValue(i)));
      }
      return array;
    }
    if (value instanceof String text && text.contains("${")) {
      Matcher matcher = REFERENCE.matcher(text);
      StringBuilder out = new StringBuilder();
      while (matcher.find()) {
        matcher.appendReplacement(out, Matcher.quoteReplacement(lookup(path, matcher.group(1), matcher.group(2))));
      }
      matcher.appendTail(out);
      return out.toString();
    }
    return value;
  }

  private String lookup(String path, String kind, String name) {
    if (kind.equals("env")) {
      if (!name.startsWith(envPrefix)) {
        throw new ConfigException(path, "${env:" + name + "} is refused: secret variables must start with " + envPrefix
            + " (the node's secrets.env-prefix)");
      }
      String value = env.apply(name);
      if (value == null) {
        throw new ConfigException(path, "${env:" + name + "} names an environment variable that is not set on this node");
      }
      return value;
    }
    Path file = dir.resolve(name).normalize();
    if (name.isEmpty() || !file.startsWith(dir)) {
      throw new ConfigException(path, "${file:" + name + "} is refused: secret files must lie in " + dir + " (the node's secrets.dir)");
    }
    try {
      return Files.readString(file, StandardCharsets.UTF_8).replaceFirst("\\r?\\n$", "");
    } catch (IOException e) {
      throw new ConfigException(path, "${file:" + name + "} cannot be read on this node: " + file);
    }
  }
}
