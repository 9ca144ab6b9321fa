package io.walmesh.target.cassandra;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.target.DeliveryException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * One entry's payload, parsed into the statements that apply it, each {@code USING TIMESTAMP} of the
 * entry's write time (in microseconds).
 *
 * <pre>
 * {"op":"put",    "table":"ks.t", "values":{"id":1,"name":"x"}, "ttl-s":3600}    ttl-s optional
 * {"op":"delete", "table":"ks.t", "key":{"id":1}}                                  the whole row
 * {"op":"delete", "table":"ks.t", "key":{"id":1}, "columns":["name"]}             some cells
 * {"cql":"UPDATE ks.t SET v = ? WHERE id = ?", "values":[2, 1], "ttl-s":60}        see {@link RawCql}
 * {"batch":[ ...any of the above... ]}                                             one logged batch
 * {"sequence":[ ...any of the above... ]}                                          one after another, in order
 * </pre>
 *
 * A put is {@code INSERT ... JSON ? DEFAULT UNSET}: Cassandra converts each value from its JSON form
 * to the column's type (blobs as {@code "0x..."}, timestamps as epoch ms or ISO-8601), and columns
 * not named keep their value. Key values of a delete go through {@code fromJson()} the same way.
 * Tables are {@code "keyspace.table"} or a bare table of the target's keyspace. A malformed payload
 * is a {@link DeliveryException.Kind#PERMANENT} failure naming the problem.
 */
final class CassandraMutation {
  /** The most statements one batch payload may carry. */
  static final int MAX_BATCH_STATEMENTS = 100;
  /** Cassandra's largest TTL: 20 years. */
  static final int MAX_TTL_S = 630_720_000;

  private static final Set<String> PUT_FIELDS = Set.of("op", "table", "values", "ttl-s");
  private static final Set<String> DELETE_FIELDS = Set.of("op", "table", "key", "columns");
  private static final Set<String> RAW_FIELDS = Set.of("cql", "values", "ttl-s");

  private CassandraMutation() {
  }

  /** How a payload's statements are applied. */
  enum Mode {
    /** One statement. */
    SINGLE,
    /** A {@code batch}: one logged batch, every statement at the entry's timestamp. */
    BATCH,
    /**
     * A {@code sequence} (a multi-partition mutation): one statement after another, in order,
     * statement {@code i} at the entry's timestamp plus {@code i} microseconds, so a later
     * mutation of the set wins over an earlier one on the same cell whatever happens on retries.
     */
    SEQUENCE
  }

  /**
   * The statements of a payload and how to apply them.
   *
   * @param statements the statements, at least one
   * @param mode single, one logged batch, or a sequence
   */
  record Parsed(List<CqlStatement> statements, Mode mode) {
    /** Whether the payload was a {@code batch}: apply them as one logged batch. */
    boolean batch() {
      return mode == Mode.BATCH;
    }
  }

  /** Parses a payload; {@code defaultKeyspace} (folded, or null) qualifies bare table names. */
  static Parsed parse(Buffer payload, long timestampMicros, String defaultKeyspace) {
    JsonObject json;
    try {
      json = payload.toJsonObject();
    } catch (RuntimeException e) {
      throw invalid("is not a JSON object (" + firstLine(e.getMessage()) + "); expected e.g. "
          + "{\"op\":\"put\",\"table\":\"ks.t\",\"values\":{\"id\":1}}");
    }
    if (json == null) {
      throw invalid("is empty; expected a JSON object with \"op\", \"cql\" or \"batch\"");
    }
    for (Mode mode : List.of(Mode.BATCH, Mode.SEQUENCE)) {
      String field = mode.name().toLowerCase(java.util.Locale.ROOT);
      if (json.containsKey(field)) {
        return new Parsed(group(json, field, mode == Mode.SEQUENCE, timestampMicros, defaultKeyspace), mode);
      }
    }
    return new Parsed(List.of(one(json, "", timestampMicros, defaultKeyspace)), Mode.SINGLE);
  }

  /** The statements of a {@code batch} or {@code sequence}; a sequence's timestamps grow by one per statement. */
  private static List<CqlStatement> group(JsonObject json, String field, boolean ascending, long timestampMicros,
                                          String defaultKeyspace) {
    if (json.size() != 1) {
      throw invalid("a " + field + " payload has only the field \"" + field + "\"; found " + json.fieldNames());
    }
    if (!(json.getValue(field) instanceof JsonArray items) || items.isEmpty()) {
      throw invalid("\"" + field + "\" must be a non-empty array of mutations");
    }
    if (items.size() > MAX_BATCH_STATEMENTS) {
      throw invalid("\"" + field + "\" has " + items.size() + " mutations; at most " + MAX_BATCH_STATEMENTS + " are allowed");
    }
    List<CqlStatement> statements = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      if (!(items.getValue(i) instanceof JsonObject item)) {
        throw invalid(field + "[" + i + "] must be a JSON object");
      }
      if (item.containsKey("batch") || item.containsKey("sequence")) {
        throw invalid(field + "[" + i + "]: a " + field + " cannot contain a batch or a sequence");
      }
      statements.add(one(item, field + "[" + i + "]: ", ascending ? timestampMicros + i : timestampMicros, defaultKeyspace));
    }
    return statements;
  }

  private static CqlStatement one(JsonObject json, String where, long timestampMicros, String defaultKeyspace) {
    if (json.containsKey("cql")) {
      allowOnly(json, RAW_FIELDS, where, "a raw cql mutation");
      return RawCql.statement(json, where, timestampMicros, defaultKeyspace);
    }
    Object op = json.getValue("op");
    if ("put".equals(op)) {
      allowOnly(json, PUT_FIELDS, where, "op put");
      return put(json, where, timestampMicros, defaultKeyspace);
    }
    if ("delete".equals(op)) {
      allowOnly(json, DELETE_FIELDS, where, "op delete");
      return delete(json, where, timestampMicros, defaultKeyspace);
    }
    throw invalid(where + (op == null ? "needs \"op\" (put or delete), \"cql\", \"batch\" or \"sequence\""
        : "unknown op " + quoted(op) + "; expected put or delete"));
  }

  private static CqlStatement put(JsonObject json, String where, long timestampMicros, String defaultKeyspace) {
    String table = table(json, where, defaultKeyspace);
    if (!(json.getValue("values") instanceof JsonObject values) || values.isEmpty()) {
      throw invalid(where + "op put needs \"values\": a non-empty object of column names to values");
    }
    JsonObject row = new JsonObject();
    for (String column : values.fieldNames()) {
      String folded = column(column, where + "values");
      if (row.containsKey(folded)) {
        throw invalid(where + "values names column \"" + folded + "\" twice (names are case-insensitive)");
      }
      row.put(folded, values.getValue(column));
    }
    Integer ttl = ttl(json, where);
    List<Object> binds = new ArrayList<>(List.of(row.encode(), timestampMicros));
    StringBuilder cql = new StringBuilder("INSERT INTO ").append(table)
        .append(" JSON ? DEFAULT UNSET USING TIMESTAMP ?");
    if (ttl != null) {
      cql.append(" AND TTL ?");
      binds.add(ttl);
    }
    return new CqlStatement(cql.toString(), binds, "put into " + table, table.replace("\"", ""));
  }

  private static CqlStatement delete(JsonObject json, String where, long timestampMicros, String defaultKeyspace) {
    String table = table(json, where, defaultKeyspace);
    if (!(json.getValue("key") instanceof JsonObject key) || key.isEmpty()) {
      throw invalid(where + "op delete needs \"key\": a non-empty object of primary key columns to values");
    }
    StringBuilder cql = new StringBuilder("DELETE ");
    if (json.containsKey("columns")) {
      if (!(json.getValue("columns") instanceof JsonArray columns) || columns.isEmpty()) {
        throw invalid(where + "\"columns\" must be a non-empty array of column names; leave it out to delete the row");
      }
      List<String> names = new ArrayList<>();
      for (int i = 0; i < columns.size(); i++) {
        Object name = columns.getValue(i);
        if (!(name instanceof String s)) {
          throw invalid(where + "columns[" + i + "] must be a column name, got " + quoted(name));
        }
        names.add(CqlNames.quote(column(s, where + "columns")));
      }
      cql.append(String.join(", ", names)).append(' ');
    }
    cql.append("FROM ").append(table).append(" USING TIMESTAMP ? WHERE ");
    List<Object> binds = new ArrayList<>(List.of(timestampMicros));
    // sorted, so the same key columns always make the same (cached) statement
    TreeMap<String, Object> sorted = new TreeMap<>();
    for (String column : key.fieldNames()) {
      Object value = key.getValue(column);
      if (value == null) {
        throw invalid(where + "key column \"" + column + "\" must not be null");
      }
      if (sorted.put(column(column, where + "key"), value) != null) {
        throw invalid(where + "key names column \"" + CqlNames.fold(column) + "\" twice (names are case-insensitive)");
      }
    }
    List<String> conditions = new ArrayList<>();
    sorted.forEach((column, value) -> {
      conditions.add(CqlNames.quote(column) + " = fromJson(?)");
      binds.add(Json.encode(value));
    });
    cql.append(String.join(" AND ", conditions));
    return new CqlStatement(cql.toString(), binds, "delete from " + table, table.replace("\"", ""));
  }

  /** The quoted, keyspace-qualified table of a structured op. */
  private static String table(JsonObject json, String where, String defaultKeyspace) {
    Object value = json.getValue("table");
    if (!(value instanceof String name) || name.isEmpty()) {
      throw invalid(where + "needs \"table\": \"keyspace.table\" or a table of the target's keyspace");
    }
    String[] parts = name.split("\\.", -1);
    if (parts.length > 2 || !CqlNames.isValid(parts[0]) || (parts.length == 2 && !CqlNames.isValid(parts[1]))) {
      throw invalid(where + "table " + quoted(name) + " is not \"keyspace.table\" of plain CQL identifiers"
          + " ([A-Za-z_][A-Za-z0-9_]*)");
    }
    if (parts.length == 1) {
      if (defaultKeyspace == null) {
        throw invalid(where + "table " + quoted(name) + " names no keyspace and the target has no \"keyspace\""
            + " configured; write \"keyspace.table\"");
      }
      return CqlNames.quote(defaultKeyspace) + "." + CqlNames.quote(parts[0]);
    }
    return CqlNames.quote(parts[0]) + "." + CqlNames.quote(parts[1]);
  }

  /** A column name, folded; fails naming the field it came from. */
  private static String column(String name, String field) {
    if (!CqlNames.isValid(name)) {
      throw invalid(field + ": " + quoted(name) + " is not a plain CQL identifier ([A-Za-z_][A-Za-z0-9_]*)");
    }
    return CqlNames.fold(name);
  }

  /** The optional {@code ttl-s} of a put or raw statement; null when absent. */
  static Integer ttl(JsonObject json, String where) {
    Object value = json.getValue("ttl-s");
    if (value == null) {
      return null;
    }
    if (!(value instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
        || n.doubleValue() < 1 || n.doubleValue() > MAX_TTL_S) {
      throw invalid(where + "\"ttl-s\" must be a whole number of seconds between 1 and " + MAX_TTL_S + ", got "
          + quoted(value));
    }
    return n.intValue();
  }

  private static void allowOnly(JsonObject json, Set<String> allowed, String where, String what) {
    for (String name : json.fieldNames()) {
      if (!allowed.contains(name)) {
        throw invalid(where + "field \"" + name + "\" is not allowed for " + what + "; allowed: "
            + allowed.stream().sorted().toList());
      }
    }
  }

  static DeliveryException invalid(String problem) {
    return DeliveryException.permanent("payload " + problem);
  }

  static String quoted(Object value) {
    return value instanceof String s ? "\"" + s + "\"" : String.valueOf(value);
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unreadable";
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
