package io.walmesh.node.auth;

import java.util.Locale;

/** What a principal may do with the admin API; each role includes the ones before it. */
public enum AdminRole {
  /** No admin access beyond the dead letters of its namespaces ({@code dlq} grants). */
  NONE,
  /** Reads: namespaces (secrets redacted), cluster, plugins, metrics, dead letters, replay progress. */
  READ_ONLY,
  /** Changes namespaces, replays and purges dead letters, starts replays. */
  OPERATOR,
  /** Everything, including installing and removing plugins (code that runs in the node). */
  ADMIN;

  /** The name used in configs and messages: {@code read-only}, {@code operator}, {@code admin}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  static AdminRole parse(String label) {
    for (AdminRole role : values()) {
      if (role.label().equals(label)) {
        return role;
      }
    }
    return null;
  }
}
