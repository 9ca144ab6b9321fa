package io.walmesh.node.cluster;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Predicate;

/**
 * A standalone node: a mesh of one. It owns every shard and is every namespace's home; it shares
 * nothing, so plugin jars and node records stay here. Its documents are held in memory and seeded
 * from the node's namespace files (the namespace manager keeps those files, as on a mesh node), and
 * a change is announced to the listener on its context, as the mesh announces a Hazelcast event.
 */
public final class SingleNode implements ClusterState {
  private final Vertx vertx;
  private final String nodeId;
  private final Map<String, String> documents = new ConcurrentHashMap<>();
  private final Map<String, JsonObject> states = new ConcurrentHashMap<>();
  private volatile JsonObject info = new JsonObject();
  private volatile Context context;
  private volatile BiConsumer<String, String> onDoc;

  public SingleNode(Vertx vertx, String nodeId) {
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.info = new JsonObject().put("id", nodeId);
  }

  @Override
  public String nodeId() {
    return nodeId;
  }

  @Override
  public Vertx vertx() {
    return vertx;
  }

  @Override
  public String mode() {
    return "standalone";
  }

  @Override
  public String name() {
    return null;
  }

  @Override
  public boolean hasRole(String role) {
    return true;
  }

  @Override
  public boolean eventBusApi() {
    return false; // nothing else is on a standalone node's event bus
  }

  @Override
  public void listen(Context context, BiConsumer<String, String> onDoc, Runnable onAssignment,
                     Predicate<String> nodeLocalBackend) {
    this.context = context;
    this.onDoc = onDoc;
    context.runOnContext(v -> onAssignment.run()); // the assignment is fixed: this node runs everything
  }

  private void announce(String name, String json) {
    Context listening = context;
    BiConsumer<String, String> listener = onDoc;
    if (listening != null) {
      listening.runOnContext(v -> listener.accept(name, json));
    }
  }

  @Override
  public Future<Map<String, String>> documents() {
    return Future.succeededFuture(Map.copyOf(documents));
  }

  @Override
  public Future<String> document(String name) {
    return Future.succeededFuture(documents.get(name));
  }

  @Override
  public Future<Boolean> putIfAbsent(String name, String json) {
    boolean added = documents.putIfAbsent(name, json) == null;
    if (added) {
      announce(name, json);
    }
    return Future.succeededFuture(added);
  }

  @Override
  public Future<Seeded> seed(String name, String json) {
    return putIfAbsent(name, json).map(added -> added ? Seeded.ADDED : Seeded.EXISTS);
  }

  @Override
  public Future<Boolean> replaceIf(String name, java.util.function.Predicate<String> current, String json) {
    String existing = documents.get(name);
    if (existing == null || !current.test(existing) || !documents.replace(name, existing, json)) {
      return Future.succeededFuture(false);
    }
    announce(name, json);
    return Future.succeededFuture(true);
  }

  @Override
  public Future<Void> remove(String name) {
    states.remove(name);
    if (documents.remove(name) != null) {
      announce(name, null);
    }
    return Future.succeededFuture();
  }

  @Override
  public void reportState(String name, String state, String version, String error) {
    JsonObject json = new JsonObject().put("node", nodeId).put("state", state).put("version", version)
        .put("at", System.currentTimeMillis());
    if (error != null) {
      json.put("error", error);
    }
    if (documents.containsKey(name)) {
      states.put(name, json);
    }
  }

  @Override
  public Future<JsonObject> state(String name) {
    return Future.succeededFuture(states.get(name));
  }

  @Override
  public List<String> liveNodes() {
    return List.of(nodeId);
  }

  /** Every pinned namespace in this node's data directory is on this node's disk, whatever node id wrote it. */
  @Override
  public boolean isHome(String homeNode) {
    return true;
  }

  @Override
  public List<String> producersOf(String shard) {
    return List.of(nodeId);
  }

  @Override
  public List<String> consumersOf(String shard) {
    return List.of(nodeId);
  }

  @Override
  public long generation() {
    return 0;
  }

  @Override
  public Future<Void> publishNode(JsonObject info) {
    this.info = info.copy().put("id", nodeId).put("roles", new io.vertx.core.json.JsonArray(List.of("gateway", "producer",
        "consumer"))).put("shards", new io.vertx.core.json.JsonArray());
    return Future.succeededFuture();
  }

  @Override
  public Future<Map<String, JsonObject>> nodeInfos() {
    return Future.succeededFuture(Map.of(nodeId, info.copy()));
  }

  @Override
  public JsonObject security() {
    return null;
  }

  @Override
  public String vouch(String principal, String method, String uri, long atMs) {
    return null;
  }

  @Override
  public boolean vouched(String principal, String method, String uri, long atMs, String proof) {
    return false; // no other node forwards calls to this one
  }

  @Override
  public Future<Map<String, byte[]>> pluginJars() {
    return Future.succeededFuture(Map.of());
  }

  @Override
  public Future<Void> publishPlugin(String id, byte[] jar) {
    return Future.succeededFuture(); // no other node to install it
  }

  @Override
  public boolean sharesPluginJars() {
    return false;
  }

  @Override
  public Future<Void> unpublishPlugin(String id) {
    return Future.succeededFuture();
  }

  @Override
  public void listenPlugins(Context context, BiConsumer<String, byte[]> onChange) {
    // plugins change only through this node's own plugin manager
  }

  @Override
  public Future<Void> leave() {
    return vertx.close();
  }
}
