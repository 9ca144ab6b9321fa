package io.walmesh.target.cassandra;

import java.util.Collections;
import java.util.List;

/**
 * One statement to prepare and execute: CQL text with positional {@code ?} markers, and the value of
 * each marker in order. A value is the write timestamp ({@code Long}, microseconds), a TTL
 * ({@code Integer}, seconds) or a JSON value converted by {@link CqlValues} to the marker's type.
 *
 * @param cql the CQL text; it is also the prepared-statement cache key
 * @param values one value per marker, in order; may hold nulls
 * @param what a short description for messages, e.g. {@code put into "shop"."orders"}
 * @param table the table written, {@code keyspace.table} as Cassandra names it (unquoted, folded
 *     unless it was a quoted name); null when the statement names no keyspace and the target has none
 */
record CqlStatement(String cql, List<Object> values, String what, String table) {
  CqlStatement {
    values = Collections.unmodifiableList(values);
  }
}
