package io.walmesh.target.redis;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.target.DeliveryException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One entry's payload, parsed: a small JSON object naming the command.
 *
 * <pre>
 * {"op":"set",    "key":"k", "value":"v", "ttl-ms":60000}   ttl-ms optional
 * {"op":"delete", "key":"k"}
 * {"op":"expire", "key":"k", "ttl-ms":60000}
 * {"op":"hset",   "key":"k", "fields":{"f":"v"}}
 * {"op":"hdel",   "key":"k", "fields":["f"]}
 * </pre>
 *
 * {@code key} defaults to the entry's key. Values may be strings, numbers or booleans (stored as
 * their text). Anything else, a missing field, a field the op does not take or an unknown op is a
 * {@link DeliveryException.Kind#PERMANENT} failure naming the problem: retrying cannot fix a payload.
 *
 * @param op the command
 * @param key the key, without the target's key prefix
 * @param value the value of a {@code set}, else null
 * @param ttlMs the TTL of a {@code set} (0: none) or {@code expire}
 * @param fields the fields of an {@code hset} (name to value) or {@code hdel} (names to null), in payload order
 */
record RedisCommand(Op op, String key, String value, long ttlMs, Map<String, String> fields) {

  /** The reserved suffix of the version record kept next to every key. */
  static final String VERSION_SUFFIX = ":walmesh-version";

  /** The commands a payload can carry. */
  enum Op {
    SET(Set.of("op", "key", "value", "ttl-ms")),
    DELETE(Set.of("op", "key")),
    EXPIRE(Set.of("op", "key", "ttl-ms")),
    HSET(Set.of("op", "key", "fields")),
    HDEL(Set.of("op", "key", "fields"));

    private final Set<String> allowed;

    Op(Set<String> allowed) {
      this.allowed = allowed;
    }

    /** The name used in payloads and in the Lua script. */
    String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Parses a payload; the entry's key is used when the payload names none. */
  static RedisCommand parse(Buffer payload, String entryKey) {
    JsonObject json;
    try {
      json = payload.toJsonObject();
    } catch (RuntimeException e) {
      throw invalid("is not a JSON object (" + firstLine(e.getMessage()) + "); expected e.g. "
          + "{\"op\":\"set\",\"key\":\"k\",\"value\":\"v\"}");
    }
    if (json == null) {
      throw invalid("is empty; expected a JSON object with an \"op\"");
    }
    Op op = op(json.getValue("op"));
    for (String name : json.fieldNames()) {
      if (!op.allowed.contains(name)) {
        throw invalid("field \"" + name + "\" is not allowed for op " + op.wireName() + "; allowed: "
            + op.allowed.stream().sorted().toList());
      }
    }
    String key = key(json.getValue("key"), entryKey);
    return switch (op) {
      case SET -> new RedisCommand(op, key, required(json, "value", "\"value\""), optTtl(json, "ttl-ms"), Map.of());
      case DELETE -> new RedisCommand(op, key, null, 0, Map.of());
      case EXPIRE -> {
        if (json.getValue("ttl-ms") == null) {
          throw invalid("op expire needs \"ttl-ms\", a positive integer");
        }
        yield new RedisCommand(op, key, null, optTtl(json, "ttl-ms"), Map.of());
      }
      case HSET -> new RedisCommand(op, key, null, 0, hsetFields(json.getValue("fields")));
      case HDEL -> new RedisCommand(op, key, null, 0, hdelFields(json.getValue("fields")));
    };
  }

  private static Op op(Object raw) {
    if (!(raw instanceof String name) || name.isBlank()) {
      throw invalid("needs \"op\": one of set, delete, expire, hset, hdel");
    }
    for (Op op : Op.values()) {
      if (op.wireName().equals(name.toLowerCase(Locale.ROOT))) {
        return op;
      }
    }
    throw invalid("unknown op \"" + name + "\"; known ops are set, delete, expire, hset, hdel");
  }

  private static String key(Object raw, String entryKey) {
    String key;
    if (raw == null) {
      if (entryKey == null || entryKey.isEmpty()) {
        throw invalid("names no \"key\" and the entry has no key");
      }
      key = entryKey;
    } else if (raw instanceof String s && !s.isEmpty()) {
      key = s;
    } else {
      throw invalid("\"key\" must be a non-empty string, got " + raw);
    }
    if (key.endsWith(VERSION_SUFFIX)) {
      throw invalid("key \"" + key + "\" ends with the reserved suffix " + VERSION_SUFFIX);
    }
    return key;
  }

  private static long optTtl(JsonObject json, String name) {
    Object raw = json.getValue(name);
    if (raw == null) {
      return 0;
    }
    if (!(raw instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.longValue() < 1) {
      throw invalid("\"" + name + "\" must be a positive integer (milliseconds), got " + describe(raw));
    }
    return n.longValue();
  }

  private static String required(JsonObject json, String name, String what) {
    Object raw = json.getValue(name);
    if (raw == null) {
      throw invalid("op set needs " + what);
    }
    return scalar(raw, what);
  }

  private static String scalar(Object raw, String what) {
    if (raw instanceof String || raw instanceof Number || raw instanceof Boolean) {
      return raw.toString();
    }
    throw invalid(what + " must be a string, number or boolean, got " + describe(raw));
  }

  private static Map<String, String> hsetFields(Object raw) {
    if (!(raw instanceof JsonObject object) || object.isEmpty()) {
      throw invalid("op hset needs \"fields\", a non-empty object of field names to values, got " + describe(raw));
    }
    Map<String, String> fields = new LinkedHashMap<>();
    for (Map.Entry<String, Object> field : object) {
      fields.put(field.getKey(), scalar(field.getValue(), "\"fields." + field.getKey() + "\""));
    }
    return fields;
  }

  private static Map<String, String> hdelFields(Object raw) {
    if (!(raw instanceof JsonArray array) || array.isEmpty()) {
      throw invalid("op hdel needs \"fields\", a non-empty array of field names, got " + describe(raw));
    }
    Map<String, String> fields = new LinkedHashMap<>();
    for (int i = 0; i < array.size(); i++) {
      if (!(array.getValue(i) instanceof String name) || name.isEmpty()) {
        throw invalid("\"fields[" + i + "]\" must be a non-empty string, got " + describe(array.getValue(i)));
      }
      fields.put(name, null);
    }
    return fields;
  }

  /** The script's ARGV after op, write time and retention: the TTL, then the op's arguments. */
  List<String> scriptArgs() {
    List<String> args = new ArrayList<>();
    args.add(Long.toString(ttlMs));
    switch (op) {
      case SET -> args.add(value);
      case HSET -> fields.forEach((name, v) -> {
        args.add(name);
        args.add(v);
      });
      case HDEL -> args.addAll(fields.keySet());
      default -> {
      }
    }
    return args;
  }

  private static DeliveryException invalid(String problem) {
    return DeliveryException.permanent("redis target: the payload " + problem);
  }

  private static String describe(Object raw) {
    if (raw == null) {
      return "nothing";
    }
    return raw instanceof String s ? "\"" + s + "\"" : raw.toString();
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unreadable";
    }
    int newline = message.indexOf('\n');
    String line = newline < 0 ? message : message.substring(0, newline);
    return line.length() > 200 ? line.substring(0, 200) + "..." : line;
  }
}
