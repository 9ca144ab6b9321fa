package io.walmesh.node.mesh;

import com.hazelcast.map.IMap;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The mesh's records of who runs what: each namespace's reported state ({@value Mesh#STATES}) and
 * each node's record ({@value Mesh#NODES}: addresses, roles, shards and Hazelcast member id). Both
 * are sealed with the mesh secret; a record that does not open is left out and reported by
 * {@link MeshTrust}. Every map access runs on a worker.
 */
final class MeshRecords {
  private final String nodeId;
  private final ClusterOptions options;
  private final Vertx vertx;
  private final IMap<String, String> states;
  private final IMap<String, String> nodes;
  private final MeshTrust trust;
  private final MeshSeal seal;
  private final Supplier<String> memberId;

  MeshRecords(String nodeId, ClusterOptions options, Vertx vertx, IMap<String, String> states, IMap<String, String> nodes,
              MeshTrust trust, Supplier<String> memberId) {
    this.nodeId = nodeId;
    this.options = options;
    this.vertx = vertx;
    this.states = states;
    this.nodes = nodes;
    this.trust = trust;
    this.seal = trust.seal();
    this.memberId = memberId;
  }

  /** Records a namespace's state on this node (running or failed, the document version, the error). */
  void reportState(String name, String state, String version, String error) {
    JsonObject json = new JsonObject().put("node", nodeId).put("state", state).put("version", version)
        .put("at", System.currentTimeMillis());
    if (error != null) {
      json.put("error", error);
    }
    vertx.executeBlocking(() -> {
      states.set(name, seal.sealString(Mesh.STATES, name, json.encode()));
      return null;
    });
  }

  Future<JsonObject> state(String name) {
    return vertx.executeBlocking(() -> {
      String stored = states.get(name);
      return stored == null ? null : trust.openJson(Mesh.STATES, name, stored);
    });
  }

  /** Forgets a removed namespace's state. Blocking. */
  void forgetState(String name) {
    states.delete(name);
  }

  /**
   * Publishes this node's addresses and roles for the cluster view and admin forwarding, with its
   * Hazelcast member id: sealed, that record is this node's proof of the mesh secret.
   */
  Future<Void> publishNode(JsonObject info) {
    return vertx.executeBlocking(() -> {
      JsonObject record = info.copy().put("id", nodeId).put("member", memberId.get())
          .put("roles", new JsonArray(List.copyOf(options.roles())))
          .put("shards", new JsonArray(List.copyOf(options.shards())));
      nodes.set(nodeId, seal.sealString(Mesh.NODES, nodeId, record.encode()));
      return null;
    });
  }

  /** The published info of every node still in the map, by id (records not sealed with the secret left out). */
  Future<Map<String, JsonObject>> nodeInfos() {
    return vertx.executeBlocking(() -> {
      Map<String, JsonObject> out = new HashMap<>();
      nodes.forEach((id, stored) -> {
        JsonObject info = trust.openJson(Mesh.NODES, id, stored);
        if (info != null) {
          out.put(id, info);
        }
      });
      return out;
    });
  }

  /** Removes this node's record (leaving). Blocking. */
  void unpublishNode() {
    nodes.delete(nodeId);
  }
}
