package io.walmesh.node.mesh;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import io.walmesh.shard.ShardAssignor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's membership in a walmesh mesh: a clustered Vert.x (Hazelcast) whose event bus routes
 * writes to the owners of each namespace, and the cluster-wide state on Hazelcast maps:
 * <ul>
 *   <li>{@value #DOCS}: namespace documents by name (each node also keeps a copy on its disk);</li>
 *   <li>{@value #ASSIGNMENT}: the current {@link MeshAssignment};</li>
 *   <li>{@value #STATES}: each namespace's state on the node that runs it;</li>
 *   <li>{@value #NODES}: each node's id, roles, shards and addresses.</li>
 * </ul>
 * The oldest member is the leader: it recomputes the assignment with {@link ShardAssignor} when
 * members or shards change, keeping a departed member's shards for {@code failover-delay-ms}.
 * Membership is read from the {@link HazelcastInstance} (Vert.x's own node listener is left to HA).
 *
 * <p>Every value this node puts on those maps goes through {@link MeshSeal}: with a mesh secret
 * ({@code cluster.secret-path}) it is sealed, and a value that does not open with the secret is
 * refused and reported ({@link #security()}, the {@code walmesh.audit} log). With a secret, only
 * members that published a sealed node record naming their Hazelcast member id count: a process
 * that joins with the cluster name alone leads nothing, owns no shards and is reported. Walmesh
 * never deletes a namespace document or a plugin jar from the maps: it writes a sealed tombstone,
 * so a removal it did not write is refused and undone from this node's last authentic copy.
 *
 * <p>Why it is near 500 lines: it implements every method of {@link io.walmesh.node.cluster.ClusterState},
 * most as one-line delegations to its parts ({@link MeshDocuments}, {@link MeshRecords},
 * {@link MeshPlugins}, {@link MeshTrust}, {@link AssignmentLeader}); its own job is joining and
 * the membership and assignment listeners.
 */
public final class Mesh implements io.walmesh.node.cluster.ClusterState {
  private static final Logger log = LoggerFactory.getLogger(Mesh.class);
  static final String DOCS = "walmesh.namespaces";
  static final String ASSIGNMENT = "walmesh.assignment";
  static final String STATES = "walmesh.namespace-states";
  static final String NODES = "walmesh.nodes";
  static final String PLUGINS = "walmesh.plugin-jars";
  static final String NODE_ID = "walmesh.node-id";
  static final String ROLES = "walmesh.roles";
  static final String SHARDS = "walmesh.shards";

  private final String nodeId;
  private final ClusterOptions options;
  private final Vertx vertx;
  private final HazelcastInstance hz;
  private final IMap<String, String> docs;
  private final IMap<String, String> assignmentMap;
  private final IMap<String, String> nodes;
  private final IMap<String, byte[]> pluginJars;
  private final ScheduledExecutorService coordinator;
  private volatile MeshAssignment current = MeshAssignment.EMPTY;
  private volatile Runnable onAssignment = () -> { };
  private final AssignmentLeader leader;
  private volatile boolean closed;
  private final MeshSeal seal;
  private final MeshTrust trust;
  private final MeshDocuments documents;
  private final MeshPlugins plugins;
  private final MeshRecords records;

  private Mesh(String nodeId, ClusterOptions options, Vertx vertx, HazelcastInstance hz) {
    this.nodeId = nodeId;
    this.options = options;
    this.vertx = vertx;
    this.hz = hz;
    this.seal = options.secret() == null ? MeshSeal.open() : MeshSeal.withSecret(options.secret(), options.name());
    this.docs = hz.getMap(DOCS);
    this.assignmentMap = hz.getMap(ASSIGNMENT);
    this.nodes = hz.getMap(NODES);
    this.pluginJars = hz.getMap(PLUGINS);
    this.trust = new MeshTrust(options, hz, nodes, seal, () -> closed);
    this.documents = new MeshDocuments(nodeId, options, vertx, docs, trust, () -> isLeader() && trust.canOverrule(),
        this::onCoordinator);
    this.plugins = new MeshPlugins(vertx, pluginJars, trust);
    this.records = new MeshRecords(nodeId, options, vertx, hz.getMap(STATES), nodes, trust,
        () -> hz.getCluster().getLocalMember().getUuid().toString());
    this.leader = new AssignmentLeader(nodeId, options, hz, docs, assignmentMap, trust,
        () -> !closed && isLeader() && trust.canOverrule(), () -> closed, () -> current);
    this.coordinator = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "walmesh-mesh-coordinator");
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts a clustered Vert.x that joins the mesh; fails when another live member has this node's id. */
  public static Future<Mesh> join(String nodeId, ClusterOptions options) {
    Config config = hazelcastConfig(nodeId, options);
    HazelcastClusterManager manager = new HazelcastClusterManager(config);
    VertxOptions vertxOptions = io.walmesh.node.internal.NetworkTransport.options().setEventBusOptions(eventBusOptions(options));
    return Vertx.builder().with(vertxOptions).withClusterManager(manager).buildClustered().compose(vertx -> {
      Mesh mesh = new Mesh(nodeId, options, vertx, manager.getHazelcastInstance());
      return vertx.executeBlocking(() -> {
        mesh.trust.refreshTrust();
        return mesh.hz.getCluster().getMembers().stream()
            .filter(m -> !m.localMember() && nodeId.equals(m.getAttribute(NODE_ID)) && mesh.trust.trusts(m)).count();
      }).compose(sameId -> {
        if (sameId > 0) {
          mesh.coordinator.shutdownNow();
          return vertx.close().transform(v -> Future.failedFuture(new IllegalStateException("node id " + nodeId
              + " is already in the mesh " + options.name() + "; give every node its own node-id")));
        }
        log.info("Joined mesh {} as {} ({} members; roles {}, shards {}; maps {}, event bus {})", options.name(), nodeId,
            mesh.hz.getCluster().getMembers().size(), options.roles(), options.shards().isEmpty() ? "any" : options.shards(),
            options.secret() == null ? "in the clear (no cluster.secret-path)" : "sealed with the mesh secret",
            options.tls() == null ? "plaintext (no cluster.tls)" : "TLS with client certificates");
        // prove the secret at once, so that the leader counts this node before it has finished starting
        return mesh.publishNode(new JsonObject()).map(mesh);
      });
    });
  }

  /** The clustered event bus on {@code cluster.host}; with {@code cluster.tls}, TLS both ways and client certificates required. */
  static EventBusOptions eventBusOptions(ClusterOptions options) {
    EventBusOptions bus = new EventBusOptions().setHost(options.host()).setPort(0);
    ClusterOptions.BusTls tls = options.tls();
    if (tls != null) {
      bus.setSsl(true)
          .setKeyCertOptions(new PemKeyCertOptions().setCertPath(tls.certPath().toString()).setKeyPath(tls.keyPath().toString()))
          .setTrustOptions(new PemTrustOptions().addCertPath(tls.caPath().toString()))
          .setClientAuth(ClientAuth.REQUIRED);
    }
    return bus;
  }

  /** How often a node checks whether a mesh it was cut off from can be reached again, to merge back into it. */
  static final int MERGE_CHECK_SECONDS = 10;

  static Config hazelcastConfig(String nodeId, ClusterOptions options) {
    Config config = ConfigUtil.loadConfig();
    config.setClusterName(options.name());
    config.setInstanceName("walmesh-" + nodeId + "-" + System.nanoTime());
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    long timeoutSecs = Math.max(2, options.memberTimeoutMs() / 1000);
    config.setProperty("hazelcast.max.no.heartbeat.seconds", String.valueOf(timeoutSecs));
    config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    // A node cut off from the others (a network partition) forms a mesh of its own; once it can reach them again,
    // Hazelcast's split-brain check merges it back. Its defaults wait 5 minutes, then check every 2.
    config.setProperty("hazelcast.merge.first.run.delay.seconds", String.valueOf(MERGE_CHECK_SECONDS));
    config.setProperty("hazelcast.merge.next.run.delay.seconds", String.valueOf(MERGE_CHECK_SECONDS));
    config.getMemberAttributeConfig().setAttribute(NODE_ID, nodeId);
    config.getMemberAttributeConfig().setAttribute(ROLES, String.join(",", options.roles()));
    config.getMemberAttributeConfig().setAttribute(SHARDS, String.join(",", options.shards()));
    config.getNetworkConfig().setPort(options.port()).setPortAutoIncrement(true);
    // Hazelcast listens on every interface unless told not to: bind to cluster.host only (unless it is the wildcard).
    // The address is given as Hazelcast's local address rather than as an "interfaces" pattern: with interfaces,
    // Hazelcast takes a member list's host name that resolves to this host as its own address and then never
    // contacts the other names (seen with compose and Kubernetes service names).
    boolean wildcard = options.host().equals("0.0.0.0") || options.host().equals("::") || options.host().equals("*");
    if (!wildcard) {
      config.setProperty("hazelcast.local.localAddress", options.host());
    }
    config.setProperty("hazelcast.socket.bind.any", String.valueOf(wildcard));
    JoinConfig join = config.getNetworkConfig().getJoin();
    join.getAutoDetectionConfig().setEnabled(false);
    join.getMulticastConfig().setEnabled(options.multicast());
    join.getTcpIpConfig().setEnabled(!options.members().isEmpty()).setMembers(options.members());
    if (options.kubernetesService() != null) {
      join.getKubernetesConfig().setEnabled(true).setProperty("namespace", options.kubernetesNamespace())
          .setProperty("service-name", options.kubernetesService());
    }
    // the namespace documents, assignment, states and plugin jars survive the loss of up to two members
    for (String map : List.of(DOCS, ASSIGNMENT, STATES, NODES, PLUGINS)) {
      config.getMapConfig(map).setBackupCount(2);
    }
    return config;
  }

  @Override
  public Vertx vertx() {
    return vertx;
  }

  @Override
  public String nodeId() {
    return nodeId;
  }

  @Override
  public String mode() {
    return "mesh";
  }

  @Override
  public String name() {
    return options.name();
  }

  @Override
  public boolean hasRole(String role) {
    return options.hasRole(role);
  }

  @Override
  public boolean eventBusApi() {
    return options.eventBusApi();
  }

  @Override
  public boolean isHome(String homeNode) {
    return nodeId.equals(homeNode);
  }

  @Override
  public List<String> producersOf(String shard) {
    return current.producers().ownersOf(shard);
  }

  @Override
  public List<String> consumersOf(String shard) {
    return current.consumers().ownersOf(shard);
  }

  @Override
  public long generation() {
    return current.generation();
  }

  public ClusterOptions options() {
    return options;
  }

  /**
   * Starts listening: document changes go to {@code onDoc} (name, document JSON or null when
   * removed), assignment changes run {@code onAssignment}; both on {@code context}. Namespaces
   * whose backend type is {@code nodeLocalBackend} are pinned to their home node, outside the shards.
   */
  @Override
  public void listen(Context context, BiConsumer<String, String> onDoc, Runnable onAssignment,
                     java.util.function.Predicate<String> nodeLocalBackend) {
    leader.nodeLocalBackend(nodeLocalBackend);
    this.onAssignment = () -> context.runOnContext(v -> onAssignment.run());
    documents.listen(context, onDoc, this::recompute);
    assignmentMap.addEntryListener(new AssignmentListener(), true);
    hz.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        log.info("Mesh {}: node {} joined", options.name(), event.getMember().getAttribute(NODE_ID));
        leader.joined(String.valueOf(event.getMember().getAttribute(NODE_ID)));
        onCoordinator(Mesh.this::recompute);
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        Member member = event.getMember();
        String id = member.getAttribute(NODE_ID);
        if (!trust.trusts(member)) {
          log.info("Mesh {}: untrusted member {} left", options.name(), member.getAddress());
          return;
        }
        log.info("Mesh {}: node {} left; its shards move in {} ms unless it returns", options.name(), id,
            options.failoverDelayMs());
        leader.left(member);
        coordinator.schedule(Mesh.this::recompute, options.failoverDelayMs() + 10, TimeUnit.MILLISECONDS);
        onCoordinator(Mesh.this::recompute);
      }
    });
    nodes.addEntryListener((EntryAddedListener<String, String>) e -> onCoordinator(trust::trustStep), false);
    nodes.addEntryListener((EntryUpdatedListener<String, String>) e -> onCoordinator(trust::trustStep), false);
    refreshAssignment();
    coordinator.scheduleWithFixedDelay(() -> {
      trust.trustStep();
      recompute();
    }, 0, 1, TimeUnit.SECONDS);
  }

  /** Runs a step on the coordinator thread; after {@link #leave()}, steps are dropped. */
  private void onCoordinator(Runnable step) {
    try {
      coordinator.execute(step);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      if (!closed) {
        throw e;
      }
    }
  }

  // ---- trust ----


  @Override
  public String vouch(String principal, String method, String uri, long atMs) {
    return trust.vouch(principal, method, uri, atMs);
  }

  @Override
  public boolean vouched(String principal, String method, String uri, long atMs, String proof) {
    return trust.vouched(principal, method, uri, atMs, proof);
  }

  /**
   * What the mesh's security does now: whether values are sealed and the event bus uses TLS, how
   * many values and members were refused, the last refusal, and the members without proof.
   */
  @Override
  public JsonObject security() {
    return trust.security();
  }



  /** The oldest trusted member leads. */
  public boolean isLeader() {
    if (!hz.getLifecycleService().isRunning()) {
      return false;
    }
    for (Member member : hz.getCluster().getMembers()) {
      if (trust.trusts(member)) {
        return member.localMember();
      }
    }
    return false;
  }

  /** The node ids of the live trusted members, oldest first. */
  @Override
  public List<String> liveNodes() {
    List<String> ids = new ArrayList<>();
    for (Member member : hz.getCluster().getMembers()) {
      if (trust.trusts(member)) {
        ids.add(member.getAttribute(NODE_ID));
      }
    }
    return ids;
  }

  /** The leader's step (on the coordinator): recompute and publish when the assignment changed. */
  private void recompute() {
    leader.recompute();
  }

  /** The published assignment; EMPTY when none, null when the map holds one not sealed with the secret. */
  private MeshAssignment read() {
    return leader.read();
  }

  private void refreshAssignment() {
    onCoordinator(() -> {
      try {
        MeshAssignment read = read();
        if (read != null) {
          current = read;
        }
        onAssignment.run();
      } catch (Exception e) {
        log.debug("reading the assignment: {}", e.toString());
      }
    });
  }

  /** The last assignment this node saw. */
  public MeshAssignment assignment() {
    return current;
  }

  // ---- namespace documents ----

  /** All documents (removed ones and refused values left out), read on a worker. */
  @Override
  public Future<Map<String, String>> documents() {
    return documents.documents();
  }

  /** Adds a document unless the name exists (a removed one's tombstone does not count); answers whether it was added. */
  @Override
  public Future<Boolean> putIfAbsent(String name, String json) {
    return documents.putIfAbsent(name, json);
  }

  /**
   * Offers a node's disk copy of a document to the mesh (a restarted mesh is seeded from its
   * nodes): added when the mesh has no value for the name; {@link Seeded#DELETED} when the mesh
   * holds its tombstone, so a namespace deleted while this node was away is not brought back.
   */
  @Override
  public Future<Seeded> seed(String name, String json) {
    return documents.seed(name, json);
  }

  @Override
  public Future<Boolean> replaceIf(String name, java.util.function.Predicate<String> current, String json) {
    return documents.replaceIf(name, current, json);
  }

  /** Removes a document by writing its tombstone, and its state. */
  @Override
  public Future<Void> remove(String name) {
    return documents.remove(name, 0, () -> records.forgetState(name));
  }

  @Override
  public Future<Void> removeBeforeDestroy(String name, long guardMs) {
    return documents.remove(name, guardMs, () -> records.forgetState(name));
  }

  @Override
  public Future<Void> destroyed(String name) {
    return documents.destroyed(name);
  }

  @Override
  public Future<String> document(String name) {
    return documents.document(name);
  }

  // ---- plugin jars ----

  /** The plugin jars of the mesh, by plugin id (an empty jar is a removed plugin's tombstone), read on a worker. */
  @Override
  public Future<Map<String, byte[]>> pluginJars() {
    return plugins.pluginJars();
  }

  /** Makes a plugin jar the mesh's version of its plugin; every node installs it. */
  @Override
  public Future<Void> publishPlugin(String id, byte[] jar) {
    return plugins.publishPlugin(id, jar).onSuccess(v -> log.info("Plugin {} published to mesh {}: every node installs it",
        id, options.name()));
  }

  /** Removes a plugin from the mesh, leaving a tombstone; every node unloads it. */
  @Override
  public Future<Void> unpublishPlugin(String id) {
    return plugins.unpublishPlugin(id);
  }

  /** Calls {@code onChange} on {@code context} with (id, jar) when a plugin is published, (id, empty jar) when removed. */
  @Override
  public void listenPlugins(Context context, BiConsumer<String, byte[]> onChange) {
    plugins.listenPlugins(context, onChange);
  }

  // ---- states and node info ----

  @Override
  public void reportState(String name, String state, String version, String error) {
    records.reportState(name, state, version, error);
  }

  @Override
  public Future<JsonObject> state(String name) {
    return records.state(name);
  }

  @Override
  public Future<Void> publishNode(JsonObject info) {
    return records.publishNode(info);
  }

  @Override
  public Future<Map<String, JsonObject>> nodeInfos() {
    return records.nodeInfos();
  }

  /** Leaves the mesh (closes the clustered Vert.x). Blocking: call it from a thread outside Vert.x. */
  @Override
  public Future<Void> leave() {
    closed = true;
    coordinator.shutdownNow();
    try {
      if (hz.getLifecycleService().isRunning()) {
        records.unpublishNode();
      }
    } catch (RuntimeException e) {
      log.debug("Mesh {}: unpublishing node {}: {}", options.name(), nodeId, e.toString());
    }
    return vertx.close();
  }



  private final class AssignmentListener implements EntryAddedListener<String, String>,
      EntryUpdatedListener<String, String> {
    @Override
    public void entryAdded(EntryEvent<String, String> event) {
      update(event.getValue());
    }

    @Override
    public void entryUpdated(EntryEvent<String, String> event) {
      update(event.getValue());
    }

    private void update(String stored) {
      JsonObject json = trust.openJson(ASSIGNMENT, "current", stored);
      if (json == null) {
        onCoordinator(Mesh.this::recompute); // the leader publishes over it
        return;
      }
      MeshAssignment next = MeshAssignment.fromJson(json);
      if (next.generation() >= current.generation()) {
        current = next;
        onAssignment.run();
      }
    }
  }
}
