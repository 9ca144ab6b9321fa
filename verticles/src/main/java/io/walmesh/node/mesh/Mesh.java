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
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import io.walmesh.shard.Assignment;
import io.walmesh.shard.ShardAssignor;
import io.walmesh.shard.ShardSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;
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
 */
public final class Mesh {
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
  private final IMap<String, String> states;
  private final IMap<String, String> nodes;
  private final IMap<String, byte[]> pluginJars;
  private final ScheduledExecutorService coordinator;
  /** Departed members the leader still counts, by node id: when they left, and their member info. */
  private final Map<String, Departed> departed = new ConcurrentHashMap<>();
  private volatile MeshAssignment current = MeshAssignment.EMPTY;
  private volatile Runnable onAssignment = () -> { };
  private volatile boolean closed;

  private record Departed(long at, boolean producer, boolean consumer, Set<String> shards) {
  }

  private Mesh(String nodeId, ClusterOptions options, Vertx vertx, HazelcastInstance hz) {
    this.nodeId = nodeId;
    this.options = options;
    this.vertx = vertx;
    this.hz = hz;
    this.docs = hz.getMap(DOCS);
    this.assignmentMap = hz.getMap(ASSIGNMENT);
    this.states = hz.getMap(STATES);
    this.nodes = hz.getMap(NODES);
    this.pluginJars = hz.getMap(PLUGINS);
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
    VertxOptions vertxOptions = new VertxOptions().setEventBusOptions(new EventBusOptions().setHost(options.host()).setPort(0));
    return Vertx.builder().with(vertxOptions).withClusterManager(manager).buildClustered().compose(vertx -> {
      HazelcastInstance hz = manager.getHazelcastInstance();
      long sameId = hz.getCluster().getMembers().stream()
          .filter(m -> !m.localMember() && nodeId.equals(m.getAttribute(NODE_ID))).count();
      if (sameId > 0) {
        return vertx.close().transform(v -> Future.failedFuture(new IllegalStateException("node id " + nodeId
            + " is already in the mesh " + options.name() + "; give every node its own node-id")));
      }
      log.info("Joined mesh {} as {} ({} members; roles {}, shards {})", options.name(), nodeId,
          hz.getCluster().getMembers().size(), options.roles(), options.shards().isEmpty() ? "any" : options.shards());
      return Future.succeededFuture(new Mesh(nodeId, options, vertx, hz));
    });
  }

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
    config.getMemberAttributeConfig().setAttribute(NODE_ID, nodeId);
    config.getMemberAttributeConfig().setAttribute(ROLES, String.join(",", options.roles()));
    config.getMemberAttributeConfig().setAttribute(SHARDS, String.join(",", options.shards()));
    config.getNetworkConfig().setPort(options.port()).setPortAutoIncrement(true);
    config.getNetworkConfig().getInterfaces().setEnabled(true).setInterfaces(List.of(options.host()));
    // Hazelcast listens on every interface unless told not to: bind to cluster.host only (unless it is the wildcard)
    boolean wildcard = options.host().equals("0.0.0.0") || options.host().equals("::") || options.host().equals("*");
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

  public Vertx vertx() {
    return vertx;
  }

  public String nodeId() {
    return nodeId;
  }

  public ClusterOptions options() {
    return options;
  }

  /**
   * Starts listening: document changes go to {@code onDoc} (name, document JSON or null when
   * removed), assignment changes run {@code onAssignment}; both on {@code context}.
   */
  public void listen(Context context, BiConsumer<String, String> onDoc, Runnable onAssignment) {
    this.onAssignment = () -> context.runOnContext(v -> onAssignment.run());
    docs.addEntryListener(new DocListener(context, onDoc), true);
    assignmentMap.addEntryListener(new AssignmentListener(), true);
    hz.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        log.info("Mesh {}: node {} joined", options.name(), event.getMember().getAttribute(NODE_ID));
        departed.remove(String.valueOf(event.getMember().getAttribute(NODE_ID)));
        coordinator.execute(Mesh.this::recompute);
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        Member member = event.getMember();
        String id = member.getAttribute(NODE_ID);
        log.info("Mesh {}: node {} left; its shards move in {} ms unless it returns", options.name(), id,
            options.failoverDelayMs());
        Set<String> roles = csv(member.getAttribute(ROLES));
        departed.put(id, new Departed(System.currentTimeMillis(), roles.contains(ClusterOptions.PRODUCER),
            roles.contains(ClusterOptions.CONSUMER), csv(member.getAttribute(SHARDS))));
        coordinator.schedule(Mesh.this::recompute, options.failoverDelayMs() + 10, TimeUnit.MILLISECONDS);
        coordinator.execute(Mesh.this::recompute);
      }
    });
    refreshAssignment();
    coordinator.scheduleWithFixedDelay(this::recompute, 0, 1, TimeUnit.SECONDS);
  }

  private static Set<String> csv(String value) {
    Set<String> out = new TreeSet<>();
    if (value != null && !value.isBlank()) {
      out.addAll(Arrays.asList(value.split(",")));
    }
    return out;
  }

  /** The oldest member leads. */
  public boolean isLeader() {
    return hz.getLifecycleService().isRunning() && hz.getCluster().getMembers().iterator().next().localMember();
  }

  /** The node ids of the live members, oldest first. */
  public List<String> liveNodes() {
    List<String> ids = new ArrayList<>();
    for (Member member : hz.getCluster().getMembers()) {
      ids.add(member.getAttribute(NODE_ID));
    }
    return ids;
  }

  /** The leader's step: recompute and publish when the assignment changed. Runs on the coordinator. */
  private void recompute() {
    if (closed || !isLeader()) {
      return;
    }
    try {
      long now = System.currentTimeMillis();
      departed.values().removeIf(d -> now - d.at() > options.failoverDelayMs());
      List<io.walmesh.shard.Member> producers = new ArrayList<>();
      List<io.walmesh.shard.Member> consumers = new ArrayList<>();
      Set<String> live = new TreeSet<>();
      for (Member member : hz.getCluster().getMembers()) {
        String id = member.getAttribute(NODE_ID);
        live.add(id);
        Set<String> roles = csv(member.getAttribute(ROLES));
        Set<String> shards = csv(member.getAttribute(SHARDS));
        if (roles.contains(ClusterOptions.PRODUCER)) {
          producers.add(new io.walmesh.shard.Member(id, shards));
        }
        if (roles.contains(ClusterOptions.CONSUMER)) {
          consumers.add(new io.walmesh.shard.Member(id, shards));
        }
      }
      departed.forEach((id, d) -> {
        if (!live.contains(id)) {
          if (d.producer()) {
            producers.add(new io.walmesh.shard.Member(id, d.shards()));
          }
          if (d.consumer()) {
            consumers.add(new io.walmesh.shard.Member(id, d.shards()));
          }
        }
      });
      Set<String> shardNames = new TreeSet<>();
      for (String doc : docs.values()) {
        JsonObject json = new JsonObject(doc);
        JsonObject backend = json.getJsonObject("backend", new JsonObject());
        if (!"local".equals(backend.getString("type", "local"))) {
          shardNames.add(json.getString("shard", "default"));
        }
      }
      List<ShardSpec> specs = shardNames.stream().map(ShardSpec::of).toList();
      MeshAssignment previous = read();
      Assignment p = ShardAssignor.assign(producers, specs, previous.producers());
      Assignment c = ShardAssignor.assign(consumers, specs, previous.consumers());
      if (p.generation() != previous.producers().generation() || c.generation() != previous.consumers().generation()
          || !p.owners().equals(previous.producers().owners()) || !c.owners().equals(previous.consumers().owners())) {
        MeshAssignment next = new MeshAssignment(previous.generation() + 1, nodeId, p, c);
        assignmentMap.set("current", next.toJson().encode());
        log.info("Mesh {}: assignment generation {}: producers {}, consumers {}", options.name(), next.generation(),
            p.owners(), c.owners());
      }
    } catch (Exception e) {
      if (!closed) {
        log.warn("Mesh {}: computing the shard assignment failed, retrying in 1 s: {}", options.name(), e.toString());
      }
    }
  }

  private MeshAssignment read() {
    String json = assignmentMap.get("current");
    return json == null ? MeshAssignment.EMPTY : MeshAssignment.fromJson(new JsonObject(json));
  }

  private void refreshAssignment() {
    coordinator.execute(() -> {
      try {
        current = read();
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

  /** All documents, read on a worker. */
  public Future<Map<String, String>> documents() {
    return vertx.executeBlocking(() -> new LinkedHashMap<>(docs));
  }

  /** Adds a document unless the name exists; answers whether it was added. */
  public Future<Boolean> putIfAbsent(String name, String json) {
    return vertx.executeBlocking(() -> docs.putIfAbsent(name, json) == null);
  }

  public Future<Void> replace(String name, String json) {
    return vertx.executeBlocking(() -> {
      docs.set(name, json);
      return null;
    });
  }

  public Future<Void> remove(String name) {
    return vertx.executeBlocking(() -> {
      docs.delete(name);
      states.delete(name);
      return null;
    });
  }

  // ---- plugin jars ----

  /**
   * The plugin jars of the mesh, by plugin id, read on a worker; an empty array is a removed
   * plugin's tombstone (so a node that was away while it was removed removes it too).
   */
  public Future<Map<String, byte[]>> pluginJars() {
    return vertx.executeBlocking(() -> new LinkedHashMap<>(pluginJars));
  }

  /** Makes a plugin jar the mesh's version of its plugin; every node installs it. */
  public Future<Void> publishPlugin(String id, byte[] jar) {
    return vertx.executeBlocking(() -> {
      pluginJars.set(id, jar);
      return null;
    });
  }

  /** Removes a plugin from the mesh, leaving a tombstone; every node unloads it. */
  public Future<Void> unpublishPlugin(String id) {
    return vertx.executeBlocking(() -> {
      pluginJars.set(id, new byte[0]);
      return null;
    });
  }

  /** Calls {@code onChange} on {@code context} with (id, jar) when a plugin is published, (id, empty jar) when removed. */
  public void listenPlugins(Context context, BiConsumer<String, byte[]> onChange) {
    pluginJars.addEntryListener(new PluginListener(context, onChange), true);
  }

  private static final class PluginListener implements EntryAddedListener<String, byte[]>,
      EntryUpdatedListener<String, byte[]>, EntryRemovedListener<String, byte[]> {
    private final Context context;
    private final BiConsumer<String, byte[]> onChange;

    PluginListener(Context context, BiConsumer<String, byte[]> onChange) {
      this.context = context;
      this.onChange = onChange;
    }

    @Override
    public void entryAdded(EntryEvent<String, byte[]> event) {
      context.runOnContext(v -> onChange.accept(event.getKey(), event.getValue()));
    }

    @Override
    public void entryUpdated(EntryEvent<String, byte[]> event) {
      context.runOnContext(v -> onChange.accept(event.getKey(), event.getValue()));
    }

    @Override
    public void entryRemoved(EntryEvent<String, byte[]> event) {
      context.runOnContext(v -> onChange.accept(event.getKey(), null));
    }
  }

  // ---- states and node info ----

  /** Records a namespace's state on this node (running or failed, with the error). */
  public void reportState(String name, String state, String error) {
    JsonObject json = new JsonObject().put("node", nodeId).put("state", state).put("at", System.currentTimeMillis());
    if (error != null) {
      json.put("error", error);
    }
    vertx.executeBlocking(() -> {
      states.set(name, json.encode());
      return null;
    });
  }

  public Future<JsonObject> state(String name) {
    return vertx.executeBlocking(() -> {
      String json = states.get(name);
      return json == null ? null : new JsonObject(json);
    });
  }

  /** Publishes this node's addresses and roles for the cluster view and admin forwarding. */
  public Future<Void> publishNode(JsonObject info) {
    return vertx.executeBlocking(() -> {
      nodes.set(nodeId, info.copy().put("id", nodeId).encode());
      return null;
    });
  }

  /** The published info of every node still in the map, by id. */
  public Future<Map<String, JsonObject>> nodeInfos() {
    return vertx.executeBlocking(() -> {
      Map<String, JsonObject> out = new HashMap<>();
      nodes.forEach((id, json) -> out.put(id, new JsonObject(json)));
      return out;
    });
  }

  /** Leaves the mesh (closes the clustered Vert.x). Blocking: call it from a thread outside Vert.x. */
  public Future<Void> leave() {
    closed = true;
    coordinator.shutdownNow();
    try {
      if (hz.getLifecycleService().isRunning()) {
        nodes.delete(nodeId);
      }
    } catch (RuntimeException e) {
      log.debug("Mesh {}: unpublishing node {}: {}", options.name(), nodeId, e.toString());
    }
    return vertx.close();
  }

  /** Which roles this node should play for a namespace's shard under the current assignment. */
  public boolean[] rolesFor(String shard) {
    MeshAssignment a = current;
    return new boolean[] {a.producers().ownersOf(shard).contains(nodeId), a.consumers().ownersOf(shard).contains(nodeId)};
  }

  /** Looks up an owner for messages: producers first, then consumers. */
  public String ownerOf(String shard, Function<MeshAssignment, Assignment> which) {
    List<String> owners = which.apply(current).ownersOf(shard);
    return owners.isEmpty() ? null : owners.get(0);
  }

  private final class DocListener implements EntryAddedListener<String, String>, EntryUpdatedListener<String, String>,
      EntryRemovedListener<String, String> {
    private final Context context;
    private final BiConsumer<String, String> onDoc;

    DocListener(Context context, BiConsumer<String, String> onDoc) {
      this.context = context;
      this.onDoc = onDoc;
    }

    @Override
    public void entryAdded(EntryEvent<String, String> event) {
      context.runOnContext(v -> onDoc.accept(event.getKey(), event.getValue()));
      coordinator.execute(Mesh.this::recompute);
    }

    @Override
    public void entryUpdated(EntryEvent<String, String> event) {
      context.runOnContext(v -> onDoc.accept(event.getKey(), event.getValue()));
      coordinator.execute(Mesh.this::recompute);
    }

    @Override
    public void entryRemoved(EntryEvent<String, String> event) {
      context.runOnContext(v -> onDoc.accept(event.getKey(), null));
      coordinator.execute(Mesh.this::recompute);
    }
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

    private void update(String json) {
      MeshAssignment next = MeshAssignment.fromJson(new JsonObject(json));
      if (next.generation() >= current.generation()) {
        current = next;
        onAssignment.run();
      }
    }
  }
}
