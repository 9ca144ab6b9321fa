package io.walmesh.target.cassandra;

import com.datastax.oss.driver.api.core.data.CqlDuration;
import com.datastax.oss.driver.api.core.type.DataType;
import com.datastax.oss.driver.api.core.type.ListType;
import com.datastax.oss.driver.api.core.type.MapType;
import com.datastax.oss.driver.api.core.type.SetType;
import com.datastax.oss.protocol.internal.ProtocolConstants;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Converts a JSON value to the Java type the driver binds for a CQL type, the way CQL's own JSON
 * support reads it: numbers for numeric types, strings for text, UUIDs, inet addresses, dates,
 * times and durations, epoch ms or ISO-8601 for timestamps, {@code "0x..."} hex for blobs, arrays
 * for lists and sets, objects for maps. Tuples, UDTs, vectors and custom types are not supported
 * (bind a JSON string to {@code fromJson(?)} instead).
 */
final class CqlValues {

  /** Thrown for a value that does not fit its type; the message says what was expected. */
  static final class Mismatch extends Exception {
    Mismatch(String message) {
      super(message, null, false, false);
    }
  }

  private CqlValues() {
  }

  /** The value as the driver binds it for {@code type}; null stays null (a null cell). */
  static Object convert(Object value, DataType type) throws Mismatch {
    if (value == null) {
      return null;
    }
    int code = type.getProtocolCode();
    switch (code) {
      case ProtocolConstants.DataType.ASCII, ProtocolConstants.DataType.VARCHAR:
        return string(value, type);
      case ProtocolConstants.DataType.BIGINT, ProtocolConstants.DataType.COUNTER:
        return integral(value, type, Long.MIN_VALUE, Long.MAX_VALUE);
      case ProtocolConstants.DataType.INT:
        return (int) integral(value, type, Integer.MIN_VALUE, Integer.MAX_VALUE);
      case ProtocolConstants.DataType.SMALLINT:
        return (short) integral(value, type, Short.MIN_VALUE, Short.MAX_VALUE);
      case ProtocolConstants.DataType.TINYINT:
        return (byte) integral(value, type, Byte.MIN_VALUE, Byte.MAX_VALUE);
      case ProtocolConstants.DataType.VARINT:
        try {
          return decimal(value, type).toBigIntegerExact();
        } catch (ArithmeticException e) {
          throw mismatch(value, type, "a whole number");
        }
      case ProtocolConstants.DataType.DECIMAL:
        return decimal(value, type);
      case ProtocolConstants.DataType.DOUBLE:
        return number(value, type).doubleValue();
      case ProtocolConstants.DataType.FLOAT:
        return number(value, type).floatValue();
      case ProtocolConstants.DataType.BOOLEAN:
        if (value instanceof Boolean b) {
          return b;
        }
        throw mismatch(value, type, "true or false");
      case ProtocolConstants.DataType.UUID, ProtocolConstants.DataType.TIMEUUID:
        try {
          return UUID.fromString(string(value, type));
        } catch (IllegalArgumentException e) {
          throw mismatch(value, type, "a UUID string");
        }
      case ProtocolConstants.DataType.TIMESTAMP:
        if (value instanceof Number) {
          return Instant.ofEpochMilli(integral(value, type, Long.MIN_VALUE, Long.MAX_VALUE));
        }
        return parse(value, type, "epoch ms or an ISO-8601 instant", Instant::parse);
      case ProtocolConstants.DataType.DATE:
        return parse(value, type, "an ISO-8601 date (yyyy-mm-dd)", LocalDate::parse);
      case ProtocolConstants.DataType.TIME:
        return parse(value, type, "an ISO-8601 time (hh:mm:ss[.fff])", LocalTime::parse);
      case ProtocolConstants.DataType.DURATION:
        return parse(value, type, "a CQL duration such as \"1h30m\"", CqlDuration::from);
      case ProtocolConstants.DataType.BLOB:
        return blob(value, type);
      case ProtocolConstants.DataType.INET:
        return inet(value, type);
      case ProtocolConstants.DataType.LIST:
        return elements(value, type, ((ListType) type).getElementType(), new ArrayList<>());
      case ProtocolConstants.DataType.SET:
        return elements(value, type, ((SetType) type).getElementType(), new HashSet<>());
      case ProtocolConstants.DataType.MAP:
        return map(value, (MapType) type);
      default:
        throw new Mismatch("type " + type.asCql(false, true) + " cannot be bound from JSON here; bind a JSON"
            + " string to fromJson(?) instead");
    }
  }

  private static String string(Object value, DataType type) throws Mismatch {
    if (value instanceof String s) {
      return s;
    }
    throw mismatch(value, type, "a string");
  }

  private static Number number(Object value, DataType type) throws Mismatch {
    if (value instanceof Number n) {
      return n;
    }
    throw mismatch(value, type, "a number");
  }

  private static long integral(Object value, DataType type, long min, long max) throws Mismatch {
    if (value instanceof Number n) {
      try {
        BigDecimal exact = new BigDecimal(n.toString());
        if (exact.stripTrailingZeros().scale() <= 0 && exact.compareTo(BigDecimal.valueOf(min)) >= 0
            && exact.compareTo(BigDecimal.valueOf(max)) <= 0) {
          return exact.longValueExact();
        }
      } catch (NumberFormatException | ArithmeticException e) {
        // NaN, infinity: falls through
      }
    }
    throw mismatch(value, type, "a whole number between " + min + " and " + max);
  }

  private static BigDecimal decimal(Object value, DataType type) throws Mismatch {
    try {
      if (value instanceof Number || value instanceof String) {
        return new BigDecimal(value.toString());
      }
    } catch (NumberFormatException e) {
      // falls through
    }
    throw mismatch(value, type, "a number or a numeric string");
  }

  private static ByteBuffer blob(Object value, DataType type) throws Mismatch {
    String s = string(value, type);
    if (s.startsWith("0x") || s.startsWith("0X")) {
      try {
        return ByteBuffer.wrap(HexFormat.of().parseHex(s.substring(2)));
      } catch (IllegalArgumentException e) {
        // falls through
      }
    }
    throw mismatch(value, type, "a hex string \"0x...\"");
  }

  private static InetAddress inet(Object value, DataType type) throws Mismatch {
    String s = string(value, type);
    // only literal addresses: InetAddress.getByName would otherwise block on a DNS lookup
    if (!s.isEmpty() && s.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == '.' || c == ':')) {
      try {
        return InetAddress.getByName(s);
      } catch (UnknownHostException e) {
        // falls through
      }
    }
    throw mismatch(value, type, "a literal IPv4 or IPv6 address");
  }

  private static <C extends java.util.Collection<Object>> C elements(Object value, DataType type, DataType element,
                                                                     C into) throws Mismatch {
    if (!(value instanceof JsonArray array)) {
      throw mismatch(value, type, "a JSON array");
    }
    for (int i = 0; i < array.size(); i++) {
      into.add(convert(array.getValue(i), element));
    }
    return into;
  }

  private static Map<Object, Object> map(Object value, MapType type) throws Mismatch {
    if (!(value instanceof JsonObject object)) {
      throw mismatch(value, type, "a JSON object");
    }
    Map<Object, Object> map = new LinkedHashMap<>();
    for (String key : object.fieldNames()) {
      map.put(key(key, type.getKeyType()), convert(object.getValue(key), type.getValueType()));
    }
    return map;
  }

  /** A map key: JSON object keys are strings, so a numeric or boolean key is read from its text. */
  private static Object key(String key, DataType type) throws Mismatch {
    try {
      return convert(key, type);
    } catch (Mismatch asString) {
      Object decoded;
      try {
        decoded = Json.decodeValue(key);
      } catch (RuntimeException e) {
        throw asString;
      }
      return convert(decoded, type);
    }
  }

  private interface Parser {
    Object parse(String text);
  }

  private static Object parse(Object value, DataType type, String expected, Parser parser) throws Mismatch {
    String s = string(value, type);
    try {
      return parser.parse(s);
    } catch (DateTimeParseException | IllegalArgumentException e) {
      throw mismatch(value, type, expected);
    }
  }

  private static Mismatch mismatch(Object value, DataType type, String expected) {
    String shown = value instanceof String s ? "\"" + s + "\"" : Json.encode(value);
    return new Mismatch("expected " + expected + " for " + type.asCql(false, true) + ", got " + shown);
  }
}
