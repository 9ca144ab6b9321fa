package io.walmesh.node.cluster;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Predicate;

/**
 * The state a node shares with the other nodes of its mesh, and who runs what. A standalone node
 * is a mesh of one ({@link SingleNode}): the same create, update, delete and assignment steps run
 * on it as on the Hazelcast mesh ({@link io.walmesh.node.mesh.Mesh}).
 *
 * <p>Changes to documents and plugin jars are announced to the listeners asynchronously, on the
 * context given to {@code listen}, after the call that made them has answered (as Hazelcast entry
 * events are): a caller that needs the effect waits for the namespace's reported state.
 */
public interface ClusterState {

  /** What {@link #seed} found. */
  enum Seeded { ADDED, EXISTS, DELETED }

  String nodeId();

  /** The Vert.x this node runs on (clustered in a mesh). */
  Vertx vertx();

  /** {@code standalone} or {@code mesh}, as {@code GET /v1/cluster} shows it. */
  String mode();

  /** The mesh's cluster name; null on a single node. */
  String name();

  /** Whether this node plays a role ({@code gateway}, {@code producer}, {@code consumer}); a single node plays all. */
  boolean hasRole(String role);

  /** Whether other members of the mesh may write through this node's event-bus gateway address. */
  boolean eventBusApi();

  /**
   * Starts listening: document changes go to {@code onDoc} (name, document JSON, or null when
   * removed), assignment changes run {@code onAssignment}; both on {@code context}. Namespaces
   * whose backend type is {@code nodeLocalBackend} are pinned to their home node, outside the shards.
   */
  void listen(Context context, BiConsumer<String, String> onDoc, Runnable onAssignment, Predicate<String> nodeLocalBackend);

  // ---- namespace documents ----

  /** Every namespace document by name (removed ones left out). */
  Future<Map<String, String>> documents();

  /** One namespace's document as the cluster state holds it now; null when there is none (or it was removed). */
  default Future<String> document(String name) {
    return documents().map(all -> all.get(name));
  }

  /** Adds a document unless the name exists; answers whether it was added. */
  Future<Boolean> putIfAbsent(String name, String json);

  /**
   * Offers a node's disk copy of a document: added when there is none; {@link Seeded#DELETED} when
   * the mesh removed it while this node was away, so it is not brought back.
   */
  Future<Seeded> seed(String name, String json);

  /**
   * Replaces a document only while the one stored is still the one a change was checked against ({@code current}
   * passes it): a compare-and-set, so that a change made meanwhile on another node (a move of the namespace's
   * entries, a delete) is never overwritten by one checked against the document before it. Answers whether it
   * replaced; false also when the document is gone.
   */
  Future<Boolean> replaceIf(String name, java.util.function.Predicate<String> current, String json);

  /** Removes a document and its reported state. */
  Future<Void> remove(String name);

  /**
   * {@link #remove}s a document whose store this node destroys next (other nodes read it until they hear of the
   * removal, so the document goes first): until {@link #destroyed}, or for {@code guardMs} at most (a node that died
   * meanwhile), a create of the name fails with {@link BeingDeleted}, so that a namespace created again on the same
   * topics or queues is not destroyed with them.
   */
  default Future<Void> removeBeforeDestroy(String name, long guardMs) {
    return remove(name); // a single node creates nothing meanwhile: its changes run one at a time
  }

  /** The store of a document removed by {@link #removeBeforeDestroy} is destroyed (or given up on): the name is free. */
  default Future<Void> destroyed(String name) {
    return Future.succeededFuture();
  }

  /** A create of a name whose deleted namespace's store is still being destroyed ({@link #removeBeforeDestroy}). */
  final class BeingDeleted extends RuntimeException {
    public BeingDeleted(String message) {
      super(message, null, false, false);
    }
  }

  // ---- namespace states ----

  /**
   * Records a namespace's state on this node: its label ({@code running}, {@code failed}), the
   * version of the document it runs (so a caller can wait for its own change), and the error.
   */
  void reportState(String name, String state, String version, String error);

  /** The last state reported for a namespace: {node, state, version, error?, at}; null when none. */
  Future<JsonObject> state(String name);

  // ---- who runs what ----

  /** The node ids of the live members, oldest (the leader) first. */
  List<String> liveNodes();

  /** Whether a pinned namespace whose home node is {@code homeNode} has its log on this node's disk. */
  boolean isHome(String homeNode);

  /** The nodes that run the producers of a shard. */
  List<String> producersOf(String shard);

  /** The nodes that run the consumers of a shard. */
  List<String> consumersOf(String shard);

  /** Which parts of a shard's namespaces this node runs: {producer, consumer}. */
  default boolean[] rolesFor(String shard) {
    return new boolean[] {producersOf(shard).contains(nodeId()), consumersOf(shard).contains(nodeId())};
  }

  /** The assignment's generation: it grows by one on every change. */
  long generation();

  // ---- nodes ----

  /** Publishes this node's addresses and roles, for the cluster view and admin forwarding. */
  Future<Void> publishNode(JsonObject info);

  /** The published records of the nodes, by id. */
  Future<Map<String, JsonObject>> nodeInfos();

  /** What protects the shared state (sealing, event-bus TLS, refusals); null where nothing is shared. */
  JsonObject security();

  /**
   * A proof, for another node, that this node identified the caller of a forwarded admin call as
   * {@code principal}; null when the nodes share no secret.
   */
  String vouch(String principal, String method, String uri, long atMs);

  /** Whether a forwarded call's proof is one a node of this mesh made within the last minute. */
  boolean vouched(String principal, String method, String uri, long atMs, String proof);

  // ---- plugin jars ----

  /** The shared plugin jars by plugin id (an empty jar is a removed plugin's tombstone). */
  Future<Map<String, byte[]>> pluginJars();

  /** Makes a plugin jar the shared version of its plugin: every node installs it. */
  Future<Void> publishPlugin(String id, byte[] jar);

  /** Whether {@link #publishPlugin} shares jars with other nodes (a mesh), which holds them in memory. */
  default boolean sharesPluginJars() {
    return true;
  }

  /** Removes a plugin everywhere: every node unloads it. */
  Future<Void> unpublishPlugin(String id);

  /** Calls {@code onChange} on {@code context} with (id, jar) when a plugin is published, (id, empty jar) when removed. */
  void listenPlugins(Context context, BiConsumer<String, byte[]> onChange);

  /** Leaves (closes this node's Vert.x). Blocking: call it from a thread outside Vert.x. */
  Future<Void> leave();
}
