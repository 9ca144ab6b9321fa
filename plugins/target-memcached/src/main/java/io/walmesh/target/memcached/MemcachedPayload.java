package io.walmesh.target.memcached;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.target.Delivery;
import io.walmesh.spi.target.DeliveryException;
import io.walmesh.target.memcached.client.KeyRules;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;

/**
 * One entry's mutation, parsed and checked against memcached's rules:
 * <pre>
 * {"op":"set","key":"k","value":"v","ttl-s":60,"flags":0}
 * {"op":"delete","key":"k"}
 * {"op":"touch","key":"k","ttl-s":60}
 * </pre>
 * {@code key} defaults to the entry's key; {@code value} is stored as UTF-8 when a string, else as its
 * JSON text; {@code ttl-s} 0 (the default for set) means no expiry; {@code flags} (default 0) is the
 * item's 32-bit client flags, for readers whose client uses them (EVCache transcoders).
 *
 * @param op the operation
 * @param key the full memcached key, with the target's key prefix
 * @param value the value to store (set only)
 * @param ttlS the time to live in seconds, 0 for none (set and touch)
 * @param flags the item's client flags (set only)
 */
record MemcachedPayload(Op op, String key, Buffer value, long ttlS, long flags) {

  /** What the entry asks for. */
  enum Op {
    SET, DELETE, TOUCH
  }

  private static final Map<Op, Set<String>> FIELDS = Map.of(
      Op.SET, Set.of("op", "key", "value", "ttl-s", "flags"),
      Op.DELETE, Set.of("op", "key"),
      Op.TOUCH, Set.of("op", "key", "ttl-s"));

  /** Parses the delivery's payload; throws a PERMANENT {@link DeliveryException} naming the problem. */
  static MemcachedPayload parse(Delivery delivery, MemcachedTargetOptions options) {
    JsonObject json;
    try {
      json = new JsonObject(delivery.payload());
    } catch (DecodeException | ClassCastException e) {
      throw invalid("payload is not a JSON object: " + e.getMessage());
    }
    Object opValue = json.getValue("op");
    if (!(opValue instanceof String opName)) {
      throw invalid("payload needs \"op\": one of \"set\", \"delete\", \"touch\"");
    }
    Op op = switch (opName) {
      case "set" -> Op.SET;
      case "delete" -> Op.DELETE;
      case "touch" -> Op.TOUCH;
      default -> throw invalid("payload \"op\" must be one of \"set\", \"delete\", \"touch\", got \"" + opName + "\"");
    };
    for (String name : json.fieldNames()) {
      if (!FIELDS.get(op).contains(name)) {
        throw invalid("payload has unknown field \"" + name + "\" for op " + opName + "; known fields are "
            + FIELDS.get(op).stream().sorted().toList());
      }
    }
    String key = key(json, delivery, options);
    Buffer value = null;
    long ttl = 0;
    long flags = 0;
    if (op == Op.SET) {
      Object raw = json.getValue("value");
      if (raw == null) {
        throw invalid("op set needs \"value\" (a string, stored as UTF-8, or any JSON value, stored as JSON text)");
      }
      value = raw instanceof String s ? Buffer.buffer(s, StandardCharsets.UTF_8.name())
          : Buffer.buffer(io.vertx.core.json.Json.encode(raw));
      if (value.length() > options.maxValueBytes) {
        throw invalid("value of key \"" + abbreviate(key) + "\" is " + value.length() + " bytes; this target accepts at most "
            + options.maxValueBytes + " (max-value-bytes)");
      }
      flags = integer(json, "flags", 0, 0, 0xFFFF_FFFFL);
    }
    if (op == Op.SET || op == Op.TOUCH) {
      if (op == Op.TOUCH && !json.containsKey("ttl-s")) {
        throw invalid("op touch needs \"ttl-s\": the new time to live in seconds, 0 for none");
      }
      ttl = integer(json, "ttl-s", 0, 0, MemcachedTargetOptions.MAX_TTL_S);
    }
    return new MemcachedPayload(op, key, value, ttl, flags);
  }

  private static String key(JsonObject json, Delivery delivery, MemcachedTargetOptions options) {
    Object raw = json.getValue("key");
    String key;
    if (raw == null) {
      if (delivery.key() == null || delivery.key().isEmpty()) {
        throw invalid("no key: the payload has no \"key\" and the entry was written without a key");
      }
      key = delivery.key();
    } else if (raw instanceof String s && !s.isEmpty()) {
      key = s;
    } else {
      throw invalid("payload \"key\" must be a non-empty string, got " + raw);
    }
    String full = options.keyPrefix + key;
    String problem = KeyRules.problem(full);
    if (problem != null) {
      throw invalid("bad memcached key \"" + abbreviate(full) + "\": " + problem);
    }
    int bytes = (full + MemcachedTargetOptions.VERSION_SUFFIX).getBytes(StandardCharsets.UTF_8).length;
    if (bytes > KeyRules.MAX_KEY_BYTES) {
      throw invalid("key \"" + abbreviate(full) + "\" is too long: with key-prefix and the version suffix \""
          + MemcachedTargetOptions.VERSION_SUFFIX + "\" it is " + bytes + " bytes; memcached allows at most "
          + KeyRules.MAX_KEY_BYTES + ", so keys may be at most "
          + (KeyRules.MAX_KEY_BYTES - MemcachedTargetOptions.VERSION_SUFFIX.length()
             - options.keyPrefix.getBytes(StandardCharsets.UTF_8).length) + " bytes");
    }
    return full;
  }

  private static long integer(JsonObject json, String name, long defaultValue, long min, long max) {
    Object raw = json.getValue(name);
    if (raw == null) {
      return defaultValue;
    }
    if (!(raw instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
        || n.doubleValue() < min || n.doubleValue() > max) {
      throw invalid("payload \"" + name + "\" must be an integer between " + min + " and " + max + ", got " + raw);
    }
    return n.longValue();
  }

  static String abbreviate(String key) {
    return key.length() <= 80 ? key : key.substring(0, 80) + "...";
  }

  private static DeliveryException invalid(String message) {
    return DeliveryException.permanent(message);
  }

}
