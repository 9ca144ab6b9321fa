package io.walmesh.target.cassandra;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Keyspace, table and column names as payloads and configs give them: plain CQL identifiers
 * ({@code [A-Za-z_][A-Za-z0-9_]*}), case-insensitive like unquoted CQL. Only names that pass
 * {@link #isValid} are ever written into CQL text, always folded to lowercase and double-quoted, so
 * no name can inject CQL and reserved words such as {@code order} work as column names.
 */
final class CqlNames {
  /** Cassandra's longest table name; keyspaces are shorter still (48). */
  static final int MAX_LENGTH = 222;
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private CqlNames() {
  }

  /** Whether {@code name} is a plain CQL identifier of at most {@value #MAX_LENGTH} characters. */
  static boolean isValid(String name) {
    return name != null && name.length() <= MAX_LENGTH && IDENTIFIER.matcher(name).matches();
  }

  /** The name folded to lowercase, as Cassandra stores an unquoted identifier. */
  static String fold(String name) {
    return name.toLowerCase(Locale.ROOT);
  }

  /** The folded name, double-quoted for CQL text; {@code name} MUST be {@link #isValid valid}. */
  static String quote(String name) {
    if (!isValid(name)) {
      throw new IllegalArgumentException("not a plain CQL identifier: " + name);
    }
    return '"' + fold(name) + '"';
  }
}
