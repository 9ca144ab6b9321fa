package io.walmesh.spi.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Typed, validating access to a JSON configuration object. Each getter throws a
 * {@link ConfigException} naming the full path of the field when the value is missing or invalid;
 * {@link #rejectUnknown(Set)} catches misspelt field names.
 */
public final class ConfigReader {
  private final JsonObject json;
  private final String path;

  public ConfigReader(JsonObject json, String path) {
    this.json = json == null ? new JsonObject() : json;
    this.path = path == null ? "" : path;
  }

  /** The path of a field of this object, e.g. {@code retry.max-attempts}. */
  public String field(String name) {
    return path.isEmpty() ? name : path + "." + name;
  }

  public JsonObject json() {
    return json;
  }

  public boolean has(String name) {
    return json.getValue(name) != null;
  }

  public String requireString(String name) {
    String value = optString(name, null);
    if (value == null || value.isBlank()) {
      throw new ConfigException(field(name), "required, a non-empty string");
    }
    return value;
  }

  public String optString(String name, String defaultValue) {
    Object value = json.getValue(name);
    if (value == null) {
      return defaultValue;
    }
    if (!(value instanceof String s)) {
      throw new ConfigException(field(name), "must be a string, got " + describe(value));
    }
    return s;
  }

  public long optLong(String name, long defaultValue, long min, long max) {
    Object value = json.getValue(name);
    if (value == null) {
      return defaultValue;
    }
    if (!(value instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
      throw new ConfigException(field(name), "must be an integer, got " + describe(value));
    }
    long v = n.longValue();
    if (v < min || v > max) {
      throw new ConfigException(field(name), "must be between " + min + " and " + max + ", got " + v);
    }
    return v;
  }

  public int optInt(String name, int defaultValue, int min, int max) {
    return (int) optLong(name, defaultValue, min, max);
  }

  public double optDouble(String name, double defaultValue, double min, double max) {
    Object value = json.getValue(name);
    if (value == null) {
      return defaultValue;
    }
    if (!(value instanceof Number n)) {
      throw new ConfigException(field(name), "must be a number, got " + describe(value));
    }
    double v = n.doubleValue();
    if (Double.isNaN(v) || v < min || v > max) {
      throw new ConfigException(field(name), "must be between " + min + " and " + max + ", got " + v);
    }
    return v;
  }

  public boolean optBoolean(String name, boolean defaultValue) {
    Object value = json.getValue(name);
    if (value == null) {
      return defaultValue;
    }
    if (!(value instanceof Boolean b)) {
      throw new ConfigException(field(name), "must be true or false, got " + describe(value));
    }
    return b;
  }

  public <E extends Enum<E>> E optEnum(String name, Class<E> type, E defaultValue) {
    String value = optString(name, null);
    if (value == null) {
      return defaultValue;
    }
    for (E e : type.getEnumConstants()) {
      if (e.name().equalsIgnoreCase(value.replace('-', '_'))) {
        return e;
      }
    }
    List<String> allowed = new ArrayList<>();
    for (E e : type.getEnumConstants()) {
      allowed.add(e.name().toLowerCase().replace('_', '-'));
    }
    throw new ConfigException(field(name), "must be one of " + allowed + ", got \"" + value + "\"");
  }

  /** A nested object as a reader; an absent field reads as an empty object. */
  public ConfigReader object(String name) {
    Object value = json.getValue(name);
    if (value == null) {
      return new ConfigReader(new JsonObject(), field(name));
    }
    if (!(value instanceof JsonObject o)) {
      throw new ConfigException(field(name), "must be an object, got " + describe(value));
    }
    return new ConfigReader(o, field(name));
  }

  /** A nested array; an absent field reads as an empty array. */
  public JsonArray array(String name) {
    Object value = json.getValue(name);
    if (value == null) {
      return new JsonArray();
    }
    if (!(value instanceof JsonArray a)) {
      throw new ConfigException(field(name), "must be an array, got " + describe(value));
    }
    return a;
  }

  /** The elements of an object array, each as a reader whose path carries its index. */
  public List<ConfigReader> objects(String name) {
    JsonArray array = array(name);
    List<ConfigReader> readers = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      Object element = array.getValue(i);
      String elementPath = field(name) + "[" + i + "]";
      if (!(element instanceof JsonObject o)) {
        throw new ConfigException(elementPath, "must be an object, got " + describe(element));
      }
      readers.add(new ConfigReader(o, elementPath));
    }
    return readers;
  }

  /** Fails on the first field whose name is not in {@code known}: a misspelt option never passes silently. */
  public void rejectUnknown(Set<String> known) {
    for (String name : json.fieldNames()) {
      if (!known.contains(name)) {
        throw new ConfigException(field(name), "unknown field; known fields are " + known.stream().sorted().toList());
      }
    }
  }

  private static String describe(Object value) {
    if (value instanceof String s) {
      return "\"" + s + "\"";
    }
    return String.valueOf(value);
  }
}
