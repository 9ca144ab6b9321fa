package io.walmesh.target.cassandra;

import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.config.ConfigException;
import io.walmesh.spi.config.ConfigReader;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The config of a {@code cassandra} target.
 *
 * <ul>
 *   <li>{@code contact-points} (required): a non-empty array of {@code "host:port"} strings (the port
 *       defaults to {@value #DEFAULT_PORT}; IPv6 as {@code "[::1]:9042"}).</li>
 *   <li>{@code local-datacenter}: the driver's local data center, default {@value #DEFAULT_LOCAL_DATACENTER}.</li>
 *   <li>{@code keyspace}: the session's keyspace, used for tables that a payload names without one;
 *       default none.</li>
 *   <li>{@code username} and {@code password}: plain-text credentials, both or neither.</li>
 *   <li>{@code timeout-ms}: bounds connecting and each request, default {@value #DEFAULT_TIMEOUT_MS};
 *       a delivery that takes longer fails and is retried.</li>
 *   <li>{@code consistency}: the write consistency level, default {@code local-quorum}; one of
 *       {@code any, one, two, three, quorum, all, local-quorum, each-quorum, local-one}.</li>
 *   <li>{@code allowed-tables}: the tables payloads may write, as {@code "keyspace.table"} or
 *       {@code "keyspace.*"}; default: any. A payload writing elsewhere goes to the DLQ.</li>
 * </ul>
 */
final class CassandraTargetOptions {
  static final int DEFAULT_PORT = 9042;
  static final String DEFAULT_LOCAL_DATACENTER = "datacenter1";
  static final long DEFAULT_TIMEOUT_MS = 5_000;
  static final DefaultConsistencyLevel DEFAULT_CONSISTENCY = DefaultConsistencyLevel.LOCAL_QUORUM;
  static final Set<String> FIELDS = Set.of("contact-points", "local-datacenter", "keyspace", "username", "password",
      "timeout-ms", "consistency", "allowed-tables");

  final List<InetSocketAddress> contactPoints;
  final String localDatacenter;
  /** The session keyspace, folded to lowercase; null when none. */
  final String keyspace;
  final String username;
  final String password;
  final long timeoutMs;
  final DefaultConsistencyLevel consistency;
  /** The allowed {@code keyspace.table} and {@code keyspace.*} entries, folded; null when any table is allowed. */
  final List<String> allowedTables;

  CassandraTargetOptions(JsonObject config, String path) {
    ConfigReader reader = new ConfigReader(config, path);
    reader.rejectUnknown(FIELDS);
    contactPoints = contactPoints(reader);
    localDatacenter = reader.optString("local-datacenter", DEFAULT_LOCAL_DATACENTER);
    if (localDatacenter.isBlank()) {
      throw new ConfigException(reader.field("local-datacenter"), "must not be empty");
    }
    String ks = reader.optString("keyspace", null);
    if (ks != null && !CqlNames.isValid(ks)) {
      throw new ConfigException(reader.field("keyspace"), "must be a plain CQL identifier ([A-Za-z_][A-Za-z0-9_]*), got \""
          + ks + "\"");
    }
    keyspace = ks == null ? null : CqlNames.fold(ks);
    username = reader.optString("username", null);
    password = reader.optString("password", null);
    if ((username == null) != (password == null)) {
      String missing = username == null ? "username" : "password";
      throw new ConfigException(reader.field(missing), "required when " + (username == null ? "password" : "username")
          + " is given: give both or neither");
    }
    if (username != null && username.isEmpty()) {
      throw new ConfigException(reader.field("username"), "must not be empty");
    }
    timeoutMs = reader.optLong("timeout-ms", DEFAULT_TIMEOUT_MS, 1, 600_000);
    consistency = reader.optEnum("consistency", DefaultConsistencyLevel.class, DEFAULT_CONSISTENCY);
    if (consistency.isSerial()) {
      throw new ConfigException(reader.field("consistency"), "serial levels apply to conditional updates only;"
          + " use e.g. local-quorum");
    }
    if (reader.has("allowed-tables")) {
      JsonArray array = reader.array("allowed-tables");
      if (array.isEmpty()) {
        throw new ConfigException(reader.field("allowed-tables"), "must name at least one table; leave it out to allow any");
      }
      List<String> tables = new ArrayList<>();
      for (int i = 0; i < array.size(); i++) {
        String[] parts = array.getValue(i) instanceof String s ? s.split("\\.", -1) : new String[0];
        if (parts.length != 2 || !CqlNames.isValid(parts[0]) || !(parts[1].equals("*") || CqlNames.isValid(parts[1]))) {
          throw new ConfigException(reader.field("allowed-tables") + "[" + i + "]",
              "must be \"keyspace.table\" or \"keyspace.*\" of plain CQL identifiers");
        }
        tables.add(CqlNames.fold(parts[0]) + "." + (parts[1].equals("*") ? "*" : CqlNames.fold(parts[1])));
      }
      allowedTables = List.copyOf(tables);
    } else {
      allowedTables = null;
    }
  }

  /** Whether a statement may write {@code table} ({@code keyspace.table}, or null when unknown). */
  boolean tableAllowed(String table) {
    if (allowedTables == null) {
      return true;
    }
    if (table == null) {
      return false;
    }
    String keyspace = table.substring(0, table.indexOf('.'));
    return allowedTables.contains(table) || allowedTables.contains(keyspace + ".*");
  }

  private static List<InetSocketAddress> contactPoints(ConfigReader reader) {
    String field = reader.field("contact-points");
    if (!reader.has("contact-points")) {
      throw new ConfigException(field, "required, an array of \"host:port\" strings");
    }
    JsonArray array = reader.array("contact-points");
    if (array.isEmpty()) {
      throw new ConfigException(field, "must name at least one \"host:port\"");
    }
    List<InetSocketAddress> points = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      Object value = array.getValue(i);
      if (!(value instanceof String s)) {
        throw new ConfigException(field + "[" + i + "]", "must be a \"host:port\" string, got " + value);
      }
      points.add(hostPort(field + "[" + i + "]", s));
    }
    return List.copyOf(points);
  }

  /** Parses {@code host}, {@code host:port} or {@code [v6]:port}; nothing is resolved here. */
  private static InetSocketAddress hostPort(String field, String text) {
    String expected = "must look like \"host:port\", got \"" + text + "\"";
    String host;
    String port;
    if (text.startsWith("[")) {
      int close = text.indexOf(']');
      if (close < 0) {
        throw new ConfigException(field, expected);
      }
      host = text.substring(1, close);
      String rest = text.substring(close + 1);
      if (!rest.isEmpty() && !rest.startsWith(":")) {
        throw new ConfigException(field, expected);
      }
      port = rest.isEmpty() ? null : rest.substring(1);
    } else {
      int colon = text.lastIndexOf(':');
      if (colon != text.indexOf(':')) {
        throw new ConfigException(field, expected + " (write an IPv6 address as \"[addr]:port\")");
      }
      host = colon < 0 ? text : text.substring(0, colon);
      port = colon < 0 ? null : text.substring(colon + 1);
    }
    if (host.isBlank() || host.chars().anyMatch(Character::isWhitespace)) {
      throw new ConfigException(field, expected);
    }
    int p = DEFAULT_PORT;
    if (port != null) {
      try {
        p = Integer.parseInt(port);
      } catch (NumberFormatException e) {
        throw new ConfigException(field, expected);
      }
      if (p < 1 || p > 65_535) {
        throw new ConfigException(field, "port must be between 1 and 65535, got " + p);
      }
    }
    return InetSocketAddress.createUnresolved(host, p);
  }

  /** The contact points as given, for messages. */
  String displayContactPoints() {
    return contactPoints.stream().map(a -> a.getHostString() + ":" + a.getPort()).toList().toString();
  }
}
