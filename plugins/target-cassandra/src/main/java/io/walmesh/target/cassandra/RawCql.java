package io.walmesh.target.cassandra;

import static io.walmesh.target.cassandra.CassandraMutation.invalid;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A raw {@code {"cql": "...", "values": [...], "ttl-s": n}} mutation, rewritten to carry
 * {@code USING TIMESTAMP ?} (and {@code AND TTL ?}) bound to the entry's write time.
 *
 * <p>What is allowed, checked outside string literals, quoted names and comments:
 * <ol>
 *   <li>exactly one {@code INSERT}, {@code UPDATE} or {@code DELETE} statement (one trailing
 *       {@code ;} is fine); no {@code BATCH} (use a {@code batch} payload), no DDL, no
 *       {@code TRUNCATE} (which ignores timestamps);</li>
 *   <li>no {@code USING} clause of its own: the timestamp is always the entry's write time, and a TTL
 *       is given as {@code "ttl-s"};</li>
 *   <li>no {@code IF} condition: Cassandra takes no client timestamp for a lightweight transaction;</li>
 *   <li>positional {@code ?} markers only, one element of {@code "values"} each, converted to the
 *       marker's type by {@link CqlValues} (or bind a JSON string to {@code fromJson(?)}).</li>
 * </ol>
 * Counter updates and list appends are not idempotent under redelivery whatever the timestamp.
 */
final class RawCql {
  private static final String NAME = "(?:\"[^\"]*\"|[A-Za-z0-9_]+)";
  private static final Pattern UPDATE_TABLE = Pattern.compile(
      "^\\s*UPDATE\\s+" + NAME + "(?:\\s*\\.\\s*" + NAME + ")?", Pattern.CASE_INSENSITIVE);
  private static final Pattern DELETE_TABLE = Pattern.compile(
      "^\\s*DELETE\\b.*?\\bFROM\\s+" + NAME + "(?:\\s*\\.\\s*" + NAME + ")?", Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
  private static final Pattern INSERT_TABLE = Pattern.compile(
      "^\\s*INSERT\\s+INTO\\s+(" + NAME + ")(?:\\s*\\.\\s*(" + NAME + "))?", Pattern.CASE_INSENSITIVE);
  private static final Pattern UPDATE_NAMES = Pattern.compile(
      "^\\s*UPDATE\\s+(" + NAME + ")(?:\\s*\\.\\s*(" + NAME + "))?", Pattern.CASE_INSENSITIVE);
  private static final Pattern DELETE_NAMES = Pattern.compile(
      "^\\s*DELETE\\b.*?\\bFROM\\s+(" + NAME + ")(?:\\s*\\.\\s*(" + NAME + "))?",
      Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
  private static final Pattern FIRST_WORD = Pattern.compile("^\\s*([A-Za-z]+)");
  private static final Pattern USING = Pattern.compile("\\bUSING\\b", Pattern.CASE_INSENSITIVE);
  private static final Pattern IF = Pattern.compile("\\bIF\\b", Pattern.CASE_INSENSITIVE);

  private RawCql() {
  }

  /** The statement of a raw mutation, with the timestamp (and TTL) markers inserted and bound. */
  static CqlStatement statement(JsonObject json, String where, long timestampMicros, String defaultKeyspace) {
    if (!(json.getValue("cql") instanceof String cql) || cql.isBlank()) {
      throw invalid(where + "\"cql\" must be a non-empty string");
    }
    Object rawValues = json.getValue("values");
    if (rawValues != null && !(rawValues instanceof JsonArray)) {
      throw invalid(where + "\"values\" of a cql mutation must be an array, one value per ? marker");
    }
    JsonArray values = rawValues == null ? new JsonArray() : (JsonArray) rawValues;
    Integer ttl = CassandraMutation.ttl(json, where);

    String masked = mask(cql, where);
    int end = masked.stripTrailing().length();
    if (end > 0 && masked.charAt(end - 1) == ';') {
      end--;
    }
    if (masked.substring(0, end).indexOf(';') >= 0) {
      throw invalid(where + "\"cql\" must be a single statement");
    }
    String body = cql.substring(0, end).stripTrailing();
    masked = masked.substring(0, body.length());

    Matcher first = FIRST_WORD.matcher(masked);
    String verb = first.find() ? first.group(1).toUpperCase(Locale.ROOT) : "";
    if (USING.matcher(masked).find()) {
      throw invalid(where + "\"cql\" must not have a USING clause: the entry's write time is added as USING TIMESTAMP;"
          + " give a TTL as \"ttl-s\"");
    }
    if (IF.matcher(masked).find()) {
      throw invalid(where + "\"cql\" must not have an IF condition: Cassandra takes no client timestamp for"
          + " conditional updates");
    }
    int insertAt = switch (verb) {
      case "INSERT" -> body.length();
      case "UPDATE" -> end(UPDATE_TABLE, masked, where, "UPDATE keyspace.table SET ...");
      case "DELETE" -> end(DELETE_TABLE, masked, where, "DELETE [columns] FROM keyspace.table WHERE ...");
      case "BEGIN", "APPLY" -> throw invalid(where + "\"cql\" must not be a BATCH; send a {\"batch\":[...]} payload");
      default -> throw invalid(where + "\"cql\" must be an INSERT, UPDATE or DELETE statement, got "
          + (verb.isEmpty() ? "no statement" : verb));
    };
    int markersBefore = count(masked.substring(0, insertAt), '?');
    String rewritten = body.substring(0, insertAt) + " USING TIMESTAMP ?" + (ttl == null ? "" : " AND TTL ?")
        + body.substring(insertAt);

    int markers = count(masked, '?');
    if (values.size() != markers) {
      throw invalid(where + "\"cql\" has " + markers + " ? marker(s) but \"values\" has " + values.size()
          + " element(s)");
    }
    List<Object> binds = new ArrayList<>();
    for (int i = 0; i < values.size(); i++) {
      binds.add(values.getValue(i));
    }
    List<Object> using = new ArrayList<>(List.of(timestampMicros));
    if (ttl != null) {
      using.add(ttl);
    }
    binds.addAll(markersBefore, using);
    return new CqlStatement(rewritten, binds, "cql " + verb, table(verb, masked, body, defaultKeyspace));
  }

  /**
   * The {@code keyspace.table} the statement writes, as Cassandra names it: found in the masked text,
   * read from the original (quoted names keep their case, plain ones are folded); null when the
   * statement names no keyspace and there is no default.
   */
  private static String table(String verb, String masked, String body, String defaultKeyspace) {
    Pattern pattern = switch (verb) {
      case "INSERT" -> INSERT_TABLE;
      case "UPDATE" -> UPDATE_NAMES;
      default -> DELETE_NAMES;
    };
    Matcher m = pattern.matcher(masked);
    if (!m.find()) {
      return null;
    }
    String first = name(body.substring(m.start(1), m.end(1)));
    String second = m.group(2) == null ? null : name(body.substring(m.start(2), m.end(2)));
    if (!first.matches("\\w+") || (second != null && !second.matches("\\w+"))) {
      return null; // not a name Cassandra accepts: never matches an allow-list
    }
    if (second == null) {
      return defaultKeyspace == null ? null : defaultKeyspace + "." + first;
    }
    return first + "." + second;
  }

  private static String name(String written) {
    return written.startsWith("\"") ? written.substring(1, written.length() - 1).replace("\"\"", "\"")
        : written.toLowerCase(Locale.ROOT);
  }

  private static int end(Pattern pattern, String masked, String where, String shape) {
    Matcher m = pattern.matcher(masked);
    if (!m.find()) {
      throw invalid(where + "\"cql\" does not look like " + shape);
    }
    return m.end();
  }

  private static int count(String text, char c) {
    return (int) text.chars().filter(ch -> ch == c).count();
  }

  /**
   * The text with the contents of string literals, quoted names and comments replaced by spaces,
   * position for position, so that keywords and markers are only found in the statement itself.
   */
  static String mask(String cql, String where) {
    char[] out = cql.toCharArray();
    int i = 0;
    int n = out.length;
    while (i < n) {
      char c = cql.charAt(i);
      if (c == '\'' || c == '"') {
        int j = i + 1;
        while (true) {
          if (j >= n) {
            throw invalid(where + "\"cql\" has an unterminated " + (c == '\'' ? "string literal" : "quoted name"));
          }
          if (cql.charAt(j) == c) {
            if (j + 1 < n && cql.charAt(j + 1) == c) {
              out[j] = ' ';
              out[j + 1] = ' ';
              j += 2;
              continue;
            }
            break;
          }
          out[j++] = ' ';
        }
        i = j + 1;
      } else if (cql.startsWith("$$", i)) {
        int close = cql.indexOf("$$", i + 2);
        if (close < 0) {
          throw invalid(where + "\"cql\" has an unterminated $$ literal");
        }
        blank(out, i + 2, close);
        i = close + 2;
      } else if (cql.startsWith("--", i) || cql.startsWith("//", i)) {
        int close = cql.indexOf('\n', i);
        close = close < 0 ? n : close;
        blank(out, i, close);
        i = close;
      } else if (cql.startsWith("/*", i)) {
        int close = cql.indexOf("*/", i + 2);
        if (close < 0) {
          throw invalid(where + "\"cql\" has an unterminated /* comment");
        }
        blank(out, i, close + 2);
        i = close + 2;
      } else {
        i++;
      }
    }
    return new String(out);
  }

  private static void blank(char[] out, int from, int to) {
    for (int k = from; k < to; k++) {
      out[k] = ' ';
    }
  }
}
