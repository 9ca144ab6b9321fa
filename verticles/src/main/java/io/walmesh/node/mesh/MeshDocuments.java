package io.walmesh.node.mesh;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mesh's namespace documents ({@value Mesh#DOCS}), sealed with the mesh secret. A removal is
 * a sealed tombstone, never a delete, so that a node away during it removes its copy when it comes
 * back, and a deletion or change nobody sealed is refused and undone: this node remembers the last
 * authentic value of every document, and the leader puts it back.
 */
final class MeshDocuments {
  private static final Logger log = LoggerFactory.getLogger(Mesh.class);
  private static final String DOCS = Mesh.DOCS;
  static final String TOMBSTONE = "walmesh-tombstone";
  /** In a tombstone: until when its namespace's store is being destroyed, and a create of the name is refused. */
  private static final String DESTROYING_UNTIL = "destroying-until";

  private final String nodeId;
  private final ClusterOptions options;
  private final Vertx vertx;
  private final IMap<String, String> docs;
  private final MeshTrust trust;
  private final MeshSeal seal;
  /** Whether this node may put documents back: it leads and may overrule. */
  private final BooleanSupplier restores;
  /** Runs a step on the mesh's coordinator thread. */
  private final Consumer<Runnable> coordinator;
  /** The last authentic stored value of each document (sealed as on the map), to undo a change not sealed. */
  private final Map<String, String> authenticDocs = new ConcurrentHashMap<>();

  MeshDocuments(String nodeId, ClusterOptions options, Vertx vertx, IMap<String, String> docs, MeshTrust trust,
                BooleanSupplier restores, Consumer<Runnable> coordinator) {
    this.nodeId = nodeId;
    this.options = options;
    this.vertx = vertx;
    this.docs = docs;
    this.trust = trust;
    this.seal = trust.seal();
    this.restores = restores;
    this.coordinator = coordinator;
  }

  /** Calls {@code onDoc} on {@code context} with (name, document JSON or null when removed) for every authentic change; then {@code changed}. */
  void listen(Context context, BiConsumer<String, String> onDoc, Runnable changed) {
    docs.addEntryListener(new DocListener(context, onDoc, changed), true);
  }

  /** All documents (removed ones and refused values left out), read on a worker. */
  Future<Map<String, String>> documents() {
    return vertx.executeBlocking(() -> {
      Map<String, String> out = new LinkedHashMap<>();
      for (Map.Entry<String, String> entry : docs.entrySet()) {
        String json = authenticDoc(entry.getKey(), entry.getValue());
        if (json != null && !isTombstone(json)) {
          out.put(entry.getKey(), json);
        }
      }
      return out;
    });
  }

  /**
   * The document a stored value holds, remembered as this node's last authentic copy; null when
   * the value does not open (refused, reported, and undone from that copy when there is one).
   */
  private String authenticDoc(String name, String stored) {
    String json = trust.openString(DOCS, name, stored);
    if (json == null) {
      restoreDoc(name, stored);
      return null;
    }
    authenticDocs.put(name, stored);
    return json;
  }

  /**
   * Puts back this node's last authentic copy of a document over a value walmesh did not write, when
   * this node leads and may overrule (so one node does it, and never a misconfigured one). Blocking.
   */
  private void restoreDoc(String name, String forged) {
    String authentic = authenticDocs.get(name);
    if (authentic == null || !restores.getAsBoolean()) {
      return;
    }
    try {
      if (!authentic.equals(forged)) {
        docs.set(name, authentic);
        log.warn("Mesh {}: namespace {} put back as this node last saw it, over a change not sealed with the mesh secret",
            options.name(), name);
      }
    } catch (RuntimeException e) {
      log.warn("Mesh {}: putting namespace {} back failed: {}", options.name(), name, e.toString());
    }
  }

  private static boolean isTombstone(String json) {
    return json.contains(TOMBSTONE) && new JsonObject(json).containsKey(TOMBSTONE);
  }

  /** Adds a document unless the name exists (a removed one's tombstone does not count); answers whether it was added. */
  Future<Boolean> putIfAbsent(String name, String json) {
    return vertx.executeBlocking(() -> {
      String sealed = seal.sealString(DOCS, name, json);
      while (true) {
        String existing = docs.get(name);
        if (existing == null) {
          if (docs.putIfAbsent(name, sealed) == null) {
            authenticDocs.put(name, sealed);
            return true;
          }
          continue;
        }
        String present = trust.openString(DOCS, name, existing);
        if (present != null && !isTombstone(present)) {
          authenticDocs.put(name, existing);
          return false;
        }
        if (present == null && !trust.canOverrule()) {
          return false; // a value this node cannot open, in a mesh where it may not overrule: leave it be
        }
        long destroying = present == null ? 0 : destroyingUntil(present);
        if (destroying > System.currentTimeMillis()) {
          throw new io.walmesh.node.cluster.ClusterState.BeingDeleted("namespace " + name + " was deleted and its"
              + " stored entries are still being destroyed (for up to " + Math.max(1, (destroying
              - System.currentTimeMillis() + 999) / 1000) + " s more); create it again once that is done, or it could"
              + " be destroyed with them");
        }
        if (docs.replace(name, existing, sealed)) { // over a tombstone, or over a value not sealed with the secret
          authenticDocs.put(name, sealed);
          return true;
        }
      }
    });
  }

  /**
   * Offers a node's disk copy of a document to the mesh (a restarted mesh is seeded from its
   * nodes): added when the mesh has no value for the name; {@link io.walmesh.node.cluster.ClusterState.Seeded#DELETED} when the mesh
   * holds its tombstone, so a namespace deleted while this node was away is not brought back.
   */
  Future<io.walmesh.node.cluster.ClusterState.Seeded> seed(String name, String json) {
    return vertx.executeBlocking(() -> {
      String sealed = seal.sealString(DOCS, name, json);
      String existing = docs.putIfAbsent(name, sealed);
      if (existing == null) {
        authenticDocs.put(name, sealed);
        return io.walmesh.node.cluster.ClusterState.Seeded.ADDED;
      }
      String present = trust.openString(DOCS, name, existing);
      if (present != null) {
        authenticDocs.put(name, existing);
      }
      return present != null && isTombstone(present) ? io.walmesh.node.cluster.ClusterState.Seeded.DELETED : io.walmesh.node.cluster.ClusterState.Seeded.EXISTS;
    });
  }

  /**
   * Replaces a document while its stored value opens, is not a tombstone and passes {@code current}: a
   * compare-and-set on the map's value, tried again when another node replaced it between the read and the set.
   */
  Future<Boolean> replaceIf(String name, java.util.function.Predicate<String> current, String json) {
    return vertx.executeBlocking(() -> replaceWhile(name, present -> !isTombstone(present) && current.test(present)
        ? json : null));
  }

  /**
   * Replaces the stored value of {@code name} with the document {@code next} makes of the one it holds (opened), while
   * it makes one (null: leave it be) and nobody replaced it between the read and the set; answers whether it replaced.
   * A value that is missing or does not open is left be. Blocking.
   */
  private boolean replaceWhile(String name, java.util.function.UnaryOperator<String> next) {
    while (true) {
      String existing = docs.get(name);
      String present = existing == null ? null : trust.openString(DOCS, name, existing);
      String json = present == null ? null : next.apply(present);
      if (json == null) {
        return false;
      }
      String sealed = seal.sealString(DOCS, name, json);
      if (docs.replace(name, existing, sealed)) {
        authenticDocs.put(name, sealed);
        return true;
      }
    }
  }

  /** One document as the map holds it now (refused values undone as {@link #documents} does); null when none or removed. */
  Future<String> document(String name) {
    return vertx.executeBlocking(() -> {
      String stored = docs.get(name);
      String json = stored == null ? null : authenticDoc(name, stored);
      return json == null || isTombstone(json) ? null : json;
    });
  }

  /**
   * Removes a document by writing its tombstone (never a delete: a removal nobody sealed is undone); then runs {@code
   * after}. With {@code guardMs} above 0 the tombstone says the store is being destroyed until then ({@link
   * io.walmesh.node.cluster.ClusterState#removeBeforeDestroy}).
   */
  Future<Void> remove(String name, long guardMs, Runnable after) {
    return vertx.executeBlocking(() -> {
      long now = System.currentTimeMillis();
      JsonObject tombstone = new JsonObject().put(TOMBSTONE, true).put("by", nodeId).put("at", now);
      if (guardMs > 0) {
        tombstone.put(DESTROYING_UNTIL, now + guardMs);
      }
      String sealed = seal.sealString(DOCS, name, tombstone.encode());
      authenticDocs.put(name, sealed);
      docs.set(name, sealed);
      after.run();
      return null;
    });
  }

  /** The tombstone of a removal whose store is destroyed now says so: the name may be created again. */
  Future<Void> destroyed(String name) {
    return vertx.executeBlocking(() -> {
      // nothing to do when created again already (the guard ran out), or never guarded
      replaceWhile(name, present -> {
        if (!isTombstone(present) || !new JsonObject(present).containsKey(DESTROYING_UNTIL)) {
          return null;
        }
        JsonObject done = new JsonObject(present);
        done.remove(DESTROYING_UNTIL);
        return done.encode();
      });
      return null;
    });
  }

  /** Until when (epoch ms) a tombstone says its namespace's store is being destroyed; 0 when it does not. */
  private static long destroyingUntil(String tombstone) {
    return new JsonObject(tombstone).getLong(DESTROYING_UNTIL, 0L);
  }

  private final class DocListener implements EntryAddedListener<String, String>, EntryUpdatedListener<String, String>,
      EntryRemovedListener<String, String> {
    private final Context context;
    private final BiConsumer<String, String> onDoc;
    private final Runnable afterChange;

    DocListener(Context context, BiConsumer<String, String> onDoc, Runnable afterChange) {
      this.context = context;
      this.onDoc = onDoc;
      this.afterChange = afterChange;
    }

    @Override
    public void entryAdded(EntryEvent<String, String> event) {
      changed(event.getKey(), event.getValue());
    }

    @Override
    public void entryUpdated(EntryEvent<String, String> event) {
      changed(event.getKey(), event.getValue());
    }

    private void changed(String name, String stored) {
      coordinator.accept(() -> {
        String json = authenticDoc(name, stored);
        if (json != null) {
          context.runOnContext(v -> onDoc.accept(name, isTombstone(json) ? null : json));
          afterChange.run();
        }
      });
    }

    @Override
    public void entryRemoved(EntryEvent<String, String> event) {
      String name = event.getKey();
      coordinator.accept(() -> {
        String authentic = authenticDocs.get(name);
        String json = authentic == null ? null : trust.openString(DOCS, name, authentic);
        if (json != null && !isTombstone(json)) {
          trust.refuse(DOCS, name, "deleted from the map, which walmesh never does (it writes a tombstone)");
          restoreDoc(name, null);
        }
      });
    }
  }
}
