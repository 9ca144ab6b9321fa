package io.walmesh.node.runtime;

import io.vertx.core.Future;
import io.walmesh.node.cluster.ClusterState;
import io.walmesh.node.namespace.NamespaceConfig;
import java.util.Map;

/**
 * The versions of namespace documents, for updates: which one this node last heard of (what an update's checks are
 * made against), and the store of an update only while the cluster state still holds that one, and the one the client
 * read ({@code If-Match}): a compare-and-set ({@link ClusterState#replaceIf}). A version is the short digest of a
 * document ({@link NamespaceConfig#version}); a document that does not parse here has the digest of its text.
 */
final class DocumentVersions {
  private final ClusterState cluster;
  /** The documents this node runs, by name ({@link NamespaceManager}'s). */
  private final Map<String, NamespaceConfig> configs;
  /** Documents this node refused to run, by name, while the one before keeps running ({@link NamespaceManager}'s). */
  private final Map<String, String> refusedDocs;

  DocumentVersions(ClusterState cluster, Map<String, NamespaceConfig> configs, Map<String, String> refusedDocs) {
    this.cluster = cluster;
    this.configs = configs;
    this.refusedDocs = refusedDocs;
  }

  /**
   * The document of a namespace as this node last heard it from the cluster state: the one it runs, or one it refused
   * to run ({@code refused}: a plugin type not installed here, say); {@code refusedParsed} is null when that one does
   * not even parse here.
   */
  record Heard(String refused, NamespaceConfig refusedParsed, String version) {
    /** Whether the cluster state's document {@code json} is this one. */
    boolean is(String json) {
      return refused != null ? refused.equals(json) : versionIn(json).equals(version);
    }
  }

  Heard heard(String name) {
    String refused = refusedDocs.get(name);
    if (refused == null) {
      NamespaceConfig running = configs.get(name);
      return new Heard(null, null, running == null ? "" : running.version()); // "": forgotten meanwhile
    }
    NamespaceConfig parsed = null;
    try {
      parsed = NamespaceConfig.parse(refused);
    } catch (RuntimeException e) {
      // stays null: where it stores its entries cannot be read here
    }
    return new Heard(refused, parsed, parsed != null ? parsed.version() : NamespaceConfig.digest(refused));
  }

  /**
   * Refuses at once (412) an update made at a version ({@code If-Match}) the cluster state's document is no longer at,
   * before any check stops the namespace's writes; {@link #store} compares again.
   */
  Future<Void> atVersionRead(String name, String ifVersion) {
    if (ifVersion == null) {
      return Future.succeededFuture();
    }
    return cluster.document(name).compose(current -> {
      if (current == null) {
        return Future.failedFuture(NamespaceManager.notFound(name));
      }
      String now = versionIn(current);
      return now.equals(ifVersion) ? Future.succeededFuture() : Future.failedFuture(versionChanged(name, now, ifVersion));
    });
  }

  /**
   * Stores an update's document while the cluster state's is still the one this node heard of, the one the update's
   * checks were made on, and (with {@code ifVersion}) the one the client read.
   */
  Future<NamespaceConfig> store(Heard heard, String ifVersion, NamespaceConfig config) {
    String name = config.name();
    String[] seen = new String[1]; // the version stored when the compare was made; null when the document is gone
    return cluster.replaceIf(name, current -> {
      seen[0] = versionIn(current);
      return heard.is(current) && (ifVersion == null || ifVersion.equals(seen[0]));
    }, config.toJson().encode()).compose(replaced -> {
      if (replaced) {
        return Future.succeededFuture(config);
      }
      if (seen[0] == null) {
        return Future.failedFuture(new NamespaceException(NamespaceException.Kind.CONFLICT, "namespace " + name
            + " was deleted while this update was checked; nothing was stored"));
      }
      if (ifVersion != null && !ifVersion.equals(seen[0])) {
        return Future.failedFuture(versionChanged(name, seen[0], ifVersion));
      }
      return Future.failedFuture(new NamespaceException(NamespaceException.Kind.CONFLICT, "namespace " + name + " is at"
          + " version " + seen[0] + ", and this update was checked against version " + heard.version() + ": another"
          + " update (here or on another node) changed it meanwhile, or this node has not applied that change yet;"
          + " nothing was stored: GET it again and PUT the change on what it holds now"));
    });
  }

  private static NamespaceException versionChanged(String name, String now, String ifVersion) {
    return new NamespaceException(NamespaceException.Kind.VERSION_CHANGED, "namespace " + name + " is at version " + now
        + ", not " + ifVersion + ": it was changed since that version was read; nothing was stored: GET it again and"
        + " make the change on what it holds now");
  }

  private static String versionIn(String json) {
    try {
      return NamespaceConfig.parse(json).version();
    } catch (RuntimeException e) {
      return NamespaceConfig.digest(json);
    }
  }
}
