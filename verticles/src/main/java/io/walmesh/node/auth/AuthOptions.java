package io.walmesh.node.auth;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.config.ConfigException;
import io.walmesh.spi.config.ConfigReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Caller identities and what each may do ({@code "auth"} in the node config):
 * <pre>
 * "auth": {
 *   "tokens-file": "tokens.json",     bearer tokens, stored as SHA-256 hashes: {"tokens": [{"principal": "orders-app", "sha256": "..."}]}
 *   "principals": {
 *     "orders-app": {"write": ["orders", "orders-*"], "dlq": ["orders"]},
 *     "oncall":     {"admin": "operator"},
 *     "root":       {"admin": "admin"}
 *   }
 * }
 * </pre>
 * A caller is identified by a bearer token ({@code authorization: Bearer <token>}, gRPC metadata or
 * HTTP header) or by its TLS client certificate, whose common name (CN) is the principal. A
 * principal may write to the namespaces its {@code write} patterns match ({@code *} or a
 * {@code prefix*}), read, replay and purge the dead letters of those its {@code dlq} patterns
 * match, and use the admin API as its {@code admin} role allows ({@link AdminRole}). A principal
 * not listed may do nothing.
 */
public record AuthOptions(Map<String, String> principalsByTokenHash, Map<String, Grants> principals) {
  private static final Set<String> FIELDS = Set.of("tokens-file", "principals");
  private static final Set<String> GRANT_FIELDS = Set.of("write", "dlq", "admin");

  /** What one principal may do. */
  public record Grants(List<String> write, List<String> dlq, AdminRole admin) {
  }

  public static AuthOptions read(ConfigReader auth, Path base) {
    auth.rejectUnknown(FIELDS);
    Map<String, Grants> principals = new LinkedHashMap<>();
    ConfigReader listed = auth.object("principals");
    JsonObject raw = auth.has("principals") ? listed.json() : new JsonObject();
    for (String name : raw.fieldNames()) {
      ConfigReader grants = listed.object(name);
      grants.rejectUnknown(GRANT_FIELDS);
      String role = grants.optString("admin", "none");
      AdminRole admin = AdminRole.parse(role);
      if (admin == null) {
        throw new ConfigException(grants.field("admin"), "must be none, read-only, operator or admin, got \"" + role + "\"");
      }
      principals.put(name, new Grants(patterns(grants, "write"), patterns(grants, "dlq"), admin));
    }
    Map<String, String> tokens = new LinkedHashMap<>();
    if (auth.has("tokens-file")) {
      Path file = base.resolve(auth.optString("tokens-file", ""));
      JsonObject document;
      try {
        document = new JsonObject(Files.readString(file, StandardCharsets.UTF_8));
      } catch (Exception e) {
        throw new ConfigException(auth.field("tokens-file"), "cannot be read as a JSON tokens file (" + file + "): " + e.getMessage());
      }
      JsonArray list = document.getJsonArray("tokens", new JsonArray());
      for (int i = 0; i < list.size(); i++) {
        JsonObject token = list.getJsonObject(i);
        String principal = token.getString("principal");
        String hash = token.getString("sha256", "").toLowerCase(java.util.Locale.ROOT);
        if (principal == null || !hash.matches("[0-9a-f]{64}")) {
          throw new ConfigException(auth.field("tokens-file"), file + ": tokens[" + i + "] needs a \"principal\" and a \"sha256\""
              + " of 64 hex digits (walmesh auth token --principal NAME makes one)");
        }
        tokens.put(hash, principal);
      }
    }
    return new AuthOptions(tokens, principals);
  }

  private static List<String> patterns(ConfigReader grants, String field) {
    List<String> patterns = new ArrayList<>();
    if (grants.has(field)) {
      JsonArray array = grants.array(field);
      for (int i = 0; i < array.size(); i++) {
        if (!(array.getValue(i) instanceof String pattern) || pattern.isEmpty()) {
          throw new ConfigException(grants.field(field) + "[" + i + "]", "must be a namespace name, \"*\" or \"prefix*\"");
        }
        patterns.add(pattern);
      }
    }
    return List.copyOf(patterns);
  }

  /** The SHA-256 of a token, in hex: what a tokens file stores. */
  public static String hash(String token) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
