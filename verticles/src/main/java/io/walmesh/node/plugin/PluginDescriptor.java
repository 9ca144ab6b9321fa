package io.walmesh.node.plugin;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A plugin jar's {@code META-INF/walmesh-plugin.json}:
 * <pre>
 * {"id": "memcached", "version": "1.0.0", "description": "...", "targets": ["memcached"]}
 * </pre>
 *
 * @param id the plugin's lowercase id, unique on the node; a newer jar with the same id upgrades it
 * @param version the plugin's version, shown by {@code walmesh plugins list}
 * @param description one line shown by the admin API
 * @param targets the target types the jar provides; each must have a factory in the jar
 */
public record PluginDescriptor(String id, String version, String description, List<String> targets) {
  /** Where the descriptor sits inside a plugin jar. */
  public static final String PATH = "META-INF/walmesh-plugin.json";
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,62}");
  private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]{0,63}");
  private static final Set<String> FIELDS = Set.of("id", "version", "description", "targets");

  /** Parses and checks a descriptor; throws a {@link PluginException} of kind BAD_JAR naming the problem. */
  public static PluginDescriptor parse(String text, String jarName) {
    JsonObject json;
    try {
      json = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      throw bad(jarName, PATH + " is not a JSON object: " + e.getMessage());
    }
    for (String field : json.fieldNames()) {
      if (!FIELDS.contains(field)) {
        throw bad(jarName, PATH + " has unknown field \"" + field + "\"; known: " + FIELDS.stream().sorted().toList());
      }
    }
    String id = string(json, "id", jarName);
    if (!NAME.matcher(id).matches()) {
      throw bad(jarName, PATH + " field \"id\" must be lowercase letters, digits and '-', starting with a letter, got \"" + id + "\"");
    }
    String version = string(json, "version", jarName);
    if (!VERSION.matcher(version).matches()) {
      throw bad(jarName, PATH + " field \"version\" must look like 1.2.0, got \"" + version + "\"");
    }
    Object description = json.getValue("description", "");
    if (!(description instanceof String)) {
      throw bad(jarName, PATH + " field \"description\" must be a string");
    }
    if (!(json.getValue("targets") instanceof JsonArray array) || array.isEmpty()) {
      throw bad(jarName, PATH + " field \"targets\" must be a non-empty array of the target types the plugin provides");
    }
    List<String> targets = new ArrayList<>();
    for (Object type : array) {
      if (!(type instanceof String s) || !NAME.matcher(s).matches()) {
        throw bad(jarName, PATH + " field \"targets\" holds \"" + type + "\"; a target type is lowercase letters, digits and '-'");
      }
      targets.add(s);
    }
    return new PluginDescriptor(id, version, (String) description, List.copyOf(targets));
  }

  private static String string(JsonObject json, String field, String jarName) {
    if (!(json.getValue(field) instanceof String value) || value.isBlank()) {
      throw bad(jarName, PATH + " needs \"" + field + "\", a non-empty string");
    }
    return value;
  }

  static PluginException bad(String jarName, String problem) {
    return new PluginException(PluginException.Kind.BAD_JAR, "plugin jar " + jarName + ": " + problem);
  }

  public JsonObject toJson() {
    return new JsonObject().put("id", id).put("version", version).put("description", description)
        .put("targets", new JsonArray(new ArrayList<>(targets)));
  }
}
