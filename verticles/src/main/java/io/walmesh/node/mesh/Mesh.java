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
import io.vertx.core.http.ClientAuth;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
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
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
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
 *
 * <p>Every value this node puts on those maps goes through {@link MeshSeal}: with a mesh secret
 * ({@code cluster.secret-path}) it is sealed, and a value that does not open with the secret is
 * refused and reported ({@link #security()}, the {@code walmesh.audit} log). With a secret, only
 * members that published a sealed node record naming their Hazelcast member id count: a process
 * that joins with the cluster name alone leads nothing, owns no shards and is reported. Walmesh
 * never deletes a namespace document or a plugin jar from the maps: it writes a sealed tombstone,
 * so a removal it did not write is refused and undone from this node's last authentic copy.
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
  private final MeshSeal seal;
  /** The last authentic stored value of each namespace document (sealed as on the map), to undo a change not sealed. */
  private final Map<String, String> authenticDocs = new ConcurrentHashMap<>();
  /** Members that proved the mesh secret (a sealed node record with their member id): member id -> node id. */
  private volatile Map<UUID, String> trusted = Map.of();
  /** Members without that proof, by member id: when first seen, and whether reported. */
  private final Map<UUID, Long> untrustedSince = new ConcurrentHashMap<>();
  private final Map<UUID, String> untrustedReported = new ConcurrentHashMap<>();
  private final AtomicLong refusals = new AtomicLong();
  private volatile String lastRefusal;
  private final Map<String, Long> reportedAt = new ConcurrentHashMap<>();
  private static final Logger audit = LoggerFactory.getLogger("walmesh.audit");
  private static final String TOMBSTONE = "walmesh-tombstone";
  /** How long a member may stay in the mesh without proving the secret before it is reported. */
  static final long PROOF_GRACE_MS = 15_000;

  private record Departed(long at, boolean producer, boolean consumer, Set<String> shards) {
  }

  private Mesh(String nodeId, ClusterOptions options, Vertx vertx, HazelcastInstance hz) {
    this.nodeId = nodeId;
    this.options = options;
    this.vertx = vertx;
    this.hz = hz;
    this.seal = options.secret() == null ? MeshSeal.open() : MeshSeal.withSecret(options.secret(), options.name());
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
    VertxOptions vertxOptions = new VertxOptions().setEventBusOptions(eventBusOptions(options));
    return Vertx.builder().with(vertxOptions).withClusterManager(manager).buildClustered().compose(vertx -> {
      Mesh mesh = new Mesh(nodeId, options, vertx, manager.getHazelcastInstance());
      return vertx.executeBlocking(() -> {
        mesh.refreshTrust();
        return mesh.hz.getCluster().getMembers().stream()
            .filter(m -> !m.localMember() && nodeId.equals(m.getAttribute(NODE_ID)) && mesh.trusts(m)).count();
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
        if (!trusts(member)) {
          log.info("Mesh {}: untrusted member {} left", options.name(), member.getAddress());
          return;
        }
        log.info("Mesh {}: node {} left; its shards move in {} ms unless it returns", options.name(), id,
            options.failoverDelayMs());
        Set<String> roles = csv(member.getAttribute(ROLES));
        departed.put(id, new Departed(System.currentTimeMillis(), roles.contains(ClusterOptions.PRODUCER),
            roles.contains(ClusterOptions.CONSUMER), csv(member.getAttribute(SHARDS))));
        coordinator.schedule(Mesh.this::recompute, options.failoverDelayMs() + 10, TimeUnit.MILLISECONDS);
        coordinator.execute(Mesh.this::recompute);
      }
    });
    nodes.addEntryListener((EntryAddedListener<String, String>) e -> coordinator.execute(this::trustStep), false);
    nodes.addEntryListener((EntryUpdatedListener<String, String>) e -> coordinator.execute(this::trustStep), false);
    refreshAssignment();
    coordinator.scheduleWithFixedDelay(() -> {
      trustStep();
      recompute();
    }, 0, 1, TimeUnit.SECONDS);
  }

  // ---- trust ----

  /** Whether a member counts: always without a secret; with one, this node and members that proved it. */
  boolean trusts(Member member) {
    return !seal.sealed() || member.localMember() || trusted.containsKey(member.getUuid());
  }

  /**
   * Whether this node may overrule values it cannot open (put its copy back, publish over them):
   * it trusts more members than it distrusts, or as many and the oldest member is trusted. A node
   * configured with the wrong secret, joining a mesh, thus stays quiet instead of fighting it.
   */
  boolean canOverrule() {
    if (!seal.sealed()) {
      return true;
    }
    int trustedCount = 0;
    int untrustedCount = 0;
    boolean oldestTrusted = false;
    boolean first = true;
    for (Member member : hz.getCluster().getMembers()) {
      boolean t = trusts(member);
      if (first) {
        oldestTrusted = t;
        first = false;
      }
      if (t) {
        trustedCount++;
      } else {
        untrustedCount++;
      }
    }
    return trustedCount > untrustedCount || (trustedCount == untrustedCount && oldestTrusted);
  }

  /** Re-reads which members proved the secret (their sealed node records). Blocking. */
  private void refreshTrust() {
    if (!seal.sealed()) {
      return;
    }
    Map<UUID, String> proved = new HashMap<>();
    for (Map.Entry<String, String> entry : nodes.entrySet()) {
      JsonObject info = openJson(NODES, entry.getKey(), entry.getValue());
      String member = info == null ? null : info.getString("member");
      if (member != null && entry.getKey().equals(info.getString("id"))) {
        proved.put(UUID.fromString(member), entry.getKey());
      }
    }
    trusted = proved;
  }

  /** The coordinator's trust step: refresh, and report members that stay without proof past the grace period. */
  private void trustStep() {
    if (closed || !seal.sealed()) {
      return;
    }
    try {
      refreshTrust();
      long now = System.currentTimeMillis();
      Set<UUID> present = new java.util.HashSet<>();
      for (Member member : hz.getCluster().getMembers()) {
        present.add(member.getUuid());
        if (trusts(member)) {
          untrustedSince.remove(member.getUuid());
          untrustedReported.remove(member.getUuid());
          continue;
        }
        long since = untrustedSince.computeIfAbsent(member.getUuid(), k -> now);
        if (now - since >= PROOF_GRACE_MS && !untrustedReported.containsKey(member.getUuid())) {
          String who = "member " + member.getAddress() + " (Hazelcast member " + member.getUuid() + ", claims node id "
              + member.getAttribute(NODE_ID) + ")";
          untrustedReported.put(member.getUuid(), who);
          refusals.incrementAndGet();
          lastRefusal = who + " has not proved the mesh secret in " + (now - since) / 1000 + " s";
          audit.warn("mesh-untrusted-member mesh={} {}: it joined with the cluster name but has not proved the mesh"
              + " secret; it leads nothing, owns no shards, and what it writes to the mesh is refused. A node with"
              + " another or no cluster.secret-path, or a stranger: find it and keep it off the cluster port",
              options.name(), who);
        }
      }
      untrustedSince.keySet().retainAll(present);
      untrustedReported.keySet().retainAll(present);
    } catch (RuntimeException e) {
      if (!closed) {
        log.debug("Mesh {}: checking members' proofs: {}", options.name(), e.toString());
      }
    }
  }

  /** Records and reports a value refused from the mesh (at most one log line per map, key and reason a minute). */
  private void refuse(String map, String key, String why) {
    refusals.incrementAndGet();
    String what = map + "/" + key + ": " + why;
    lastRefusal = what;
    long now = System.currentTimeMillis();
    Long last = reportedAt.get(what);
    if (last == null || now - last > 60_000) {
      reportedAt.put(what, now);
      if (reportedAt.size() > 1_000) {
        reportedAt.clear();
      }
      audit.warn("mesh-refused mesh={} map={} key=\"{}\" reason=\"{}\": a member without the mesh secret (or with"
          + " another one) wrote it; this node ignores it", options.name(), map, io.walmesh.node.internal.Text.truncate(key,
          io.walmesh.node.internal.Text.MAX_ECHO_CHARS), why);
    }
  }

  /** Opens a string value from a map; null (refused and reported) when it does not open. */
  private String openString(String map, String key, String stored) {
    try {
      return seal.openString(map, key, stored);
    } catch (MeshSeal.Refused e) {
      refuse(map, key, e.getMessage());
      return null;
    }
  }

  private JsonObject openJson(String map, String key, String stored) {
    String plain = openString(map, key, stored);
    if (plain == null) {
      return null;
    }
    try {
      return new JsonObject(plain);
    } catch (RuntimeException e) {
      refuse(map, key, "not a JSON document");
      return null;
    }
  }

  /**
   * Vouches, for another node of the mesh, that this node identified the caller of a forwarded
   * admin call as {@code principal} (its token or client certificate): a proof over the principal,
   * the call and the time, made with the mesh secret. Null without a secret.
   */
  public String vouch(String principal, String method, String uri, long atMs) {
    return seal.mac("forwarded admin call", String.join("\n", principal, method, uri, Long.toString(atMs)));
  }

  /** Whether a forwarded call's proof is one a node of this mesh made within the last minute. */
  public boolean vouched(String principal, String method, String uri, long atMs, String proof) {
    long age = System.currentTimeMillis() - atMs;
    return age > -5_000 && age < 60_000
        && seal.verifyMac("forwarded admin call", String.join("\n", principal, method, uri, Long.toString(atMs)), proof);
  }

  /**
   * What the mesh's security does now: whether values are sealed and the event bus uses TLS, how
   * many values and members were refused, the last refusal, and the members without proof.
   */
  public JsonObject security() {
    return new JsonObject().put("sealed", seal.sealed()).put("event-bus-tls", options.tls() != null)
        .put("refused", refusals.get()).put("last-refused", lastRefusal)
        .put("untrusted-members", new io.vertx.core.json.JsonArray(List.copyOf(untrustedReported.values())));
  }

  private static Set<String> csv(String value) {
    Set<String> out = new TreeSet<>();
    if (value != null && !value.isBlank()) {
      out.addAll(Arrays.asList(value.split(",")));
    }
    return out;
  }

  /** The oldest trusted member leads. */
  public boolean isLeader() {
    if (!hz.getLifecycleService().isRunning()) {
      return false;
    }
    for (Member member : hz.getCluster().getMembers()) {
      if (trusts(member)) {
        return member.localMember();
      }
    }
    return false;
  }

  /** The node ids of the live trusted members, oldest first. */
  public List<String> liveNodes() {
    List<String> ids = new ArrayList<>();
    for (Member member : hz.getCluster().getMembers()) {
      if (trusts(member)) {
        ids.add(member.getAttribute(NODE_ID));
      }
    }
    return ids;
  }

  /** The leader's step: recompute and publish when the assignment changed. Runs on the coordinator. */
  private void recompute() {
    if (closed || !isLeader() || !canOverrule()) {
      return;
    }
    try {
      long now = System.currentTimeMillis();
      departed.values().removeIf(d -> now - d.at() > options.failoverDelayMs());
      List<io.walmesh.shard.Member> producers = new ArrayList<>();
      List<io.walmesh.shard.Member> consumers = new ArrayList<>();
      Set<String> live = new TreeSet<>();
      for (Member member : hz.getCluster().getMembers()) {
        if (!trusts(member)) {
          continue;
        }
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
      for (Map.Entry<String, String> entry : docs.entrySet()) {
        JsonObject json = openJson(DOCS, entry.getKey(), entry.getValue());
        if (json == null || json.containsKey(TOMBSTONE)) {
          continue;
        }
        JsonObject backend = json.getJsonObject("backend", new JsonObject());
        if (!"local".equals(backend.getString("type", "local"))) {
          shardNames.add(json.getString("shard", "default"));
        }
      }
      List<ShardSpec> specs = shardNames.stream().map(ShardSpec::of).toList();
      MeshAssignment stored = read();
      boolean forged = stored == null; // a value not sealed with the secret: publish over it
      MeshAssignment previous = forged ? current : stored;
      Assignment p = ShardAssignor.assign(producers, specs, previous.producers());
      Assignment c = ShardAssignor.assign(consumers, specs, previous.consumers());
      if (forged || p.generation() != previous.producers().generation() || c.generation() != previous.consumers().generation()
          || !p.owners().equals(previous.producers().owners()) || !c.owners().equals(previous.consumers().owners())) {
        MeshAssignment next = new MeshAssignment(previous.generation() + 1, nodeId, p, c);
        assignmentMap.set("current", seal.sealString(ASSIGNMENT, "current", next.toJson().encode()));
        log.info("Mesh {}: assignment generation {}: producers {}, consumers {}", options.name(), next.generation(),
            p.owners(), c.owners());
      }
    } catch (Exception e) {
      if (!closed) {
        log.warn("Mesh {}: computing the shard assignment failed, retrying in 1 s: {}", options.name(), e.toString());
      }
    }
  }

  /** The published assignment; EMPTY when none, null when the map holds one not sealed with the secret. */
  private MeshAssignment read() {
    String stored = assignmentMap.get("current");
    if (stored == null) {
      return MeshAssignment.EMPTY;
    }
    JsonObject json = openJson(ASSIGNMENT, "current", stored);
    return json == null ? null : MeshAssignment.fromJson(json);
  }

  private void refreshAssignment() {
    coordinator.execute(() -> {
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
  public Future<Map<String, String>> documents() {
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
    String json = openString(DOCS, name, stored);
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
    if (authentic == null || !isLeader() || !canOverrule()) {
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
  public Future<Boolean> putIfAbsent(String name, String json) {
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
        String present = openString(DOCS, name, existing);
        if (present != null && !isTombstone(present)) {
          authenticDocs.put(name, existing);
          return false;
        }
        if (present == null && !canOverrule()) {
          return false; // a value this node cannot open, in a mesh where it may not overrule: leave it be
        }
        if (docs.replace(name, existing, sealed)) { // over a tombstone, or over a value not sealed with the secret
          authenticDocs.put(name, sealed);
          return true;
        }
      }
    });
  }

  public Future<Void> replace(String name, String json) {
    return vertx.executeBlocking(() -> {
      String sealed = seal.sealString(DOCS, name, json);
      authenticDocs.put(name, sealed);
      docs.set(name, sealed);
      return null;
    });
  }

  /** Removes a document by writing its tombstone (never a delete: a removal nobody sealed is undone). */
  public Future<Void> remove(String name) {
    return vertx.executeBlocking(() -> {
      String sealed = seal.sealString(DOCS, name,
          new JsonObject().put(TOMBSTONE, true).put("by", nodeId).put("at", System.currentTimeMillis()).encode());
      authenticDocs.put(name, sealed);
      docs.set(name, sealed);
      states.delete(name);
      return null;
    });
  }

  // ---- plugin jars ----

  /**
   * The plugin jars of the mesh, by plugin id, read on a worker; an empty array is a removed
   * plugin's tombstone (so a node that was away while it was removed removes it too). Jars not
   * sealed with the mesh secret are left out (refused and reported).
   */
  public Future<Map<String, byte[]>> pluginJars() {
    return vertx.executeBlocking(() -> {
      Map<String, byte[]> out = new LinkedHashMap<>();
      for (Map.Entry<String, byte[]> entry : pluginJars.entrySet()) {
        byte[] jar = openJar(entry.getKey(), entry.getValue());
        if (jar != null) {
          out.put(entry.getKey(), jar);
        }
      }
      return out;
    });
  }

  private byte[] openJar(String id, byte[] stored) {
    try {
      return seal.open(PLUGINS, id, stored);
    } catch (MeshSeal.Refused e) {
      refuse(PLUGINS, id, e.getMessage() + "; the jar is not installed");
      return null;
    }
  }

  /** Makes a plugin jar the mesh's version of its plugin; every node installs it. */
  public Future<Void> publishPlugin(String id, byte[] jar) {
    return vertx.executeBlocking(() -> {
      pluginJars.set(id, seal.seal(PLUGINS, id, jar));
      return null;
    });
  }

  /** Removes a plugin from the mesh, leaving a tombstone; every node unloads it. */
  public Future<Void> unpublishPlugin(String id) {
    return vertx.executeBlocking(() -> {
      pluginJars.set(id, seal.seal(PLUGINS, id, new byte[0]));
      return null;
    });
  }

  /**
   * Calls {@code onChange} on {@code context} with (id, jar) when a plugin is published, (id, empty
   * jar) when removed. Jars that do not open with the secret, and deletions (walmesh writes
   * tombstones, never deletes), are refused and reported instead.
   */
  public void listenPlugins(Context context, BiConsumer<String, byte[]> onChange) {
    pluginJars.addEntryListener(new PluginListener(context, onChange), true);
  }

  private final class PluginListener implements EntryAddedListener<String, byte[]>,
      EntryUpdatedListener<String, byte[]>, EntryRemovedListener<String, byte[]> {
    private final Context context;
    private final BiConsumer<String, byte[]> onChange;

    PluginListener(Context context, BiConsumer<String, byte[]> onChange) {
      this.context = context;
      this.onChange = onChange;
    }

    @Override
    public void entryAdded(EntryEvent<String, byte[]> event) {
      changed(event);
    }

    @Override
    public void entryUpdated(EntryEvent<String, byte[]> event) {
      changed(event);
    }

    private void changed(EntryEvent<String, byte[]> event) {
      byte[] jar = openJar(event.getKey(), event.getValue());
      if (jar != null) {
        context.runOnContext(v -> onChange.accept(event.getKey(), jar));
      }
    }

    @Override
    public void entryRemoved(EntryEvent<String, byte[]> event) {
      refuse(PLUGINS, event.getKey(), "deleted from the map, which walmesh never does (it writes a tombstone);"
          + " plugins stay as they are");
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
      states.set(name, seal.sealString(STATES, name, json.encode()));
      return null;
    });
  }

  public Future<JsonObject> state(String name) {
    return vertx.executeBlocking(() -> {
      String stored = states.get(name);
      return stored == null ? null : openJson(STATES, name, stored);
    });
  }

  /**
   * Publishes this node's addresses and roles for the cluster view and admin forwarding, with its
   * Hazelcast member id: sealed, that record is this node's proof of the mesh secret.
   */
  public Future<Void> publishNode(JsonObject info) {
    return vertx.executeBlocking(() -> {
      JsonObject record = info.copy().put("id", nodeId).put("member", hz.getCluster().getLocalMember().getUuid().toString());
      nodes.set(nodeId, seal.sealString(NODES, nodeId, record.encode()));
      return null;
    });
  }

  /** The published info of every node still in the map, by id (records not sealed with the secret left out). */
  public Future<Map<String, JsonObject>> nodeInfos() {
    return vertx.executeBlocking(() -> {
      Map<String, JsonObject> out = new HashMap<>();
      nodes.forEach((id, stored) -> {
        JsonObject info = openJson(NODES, id, stored);
        if (info != null) {
          out.put(id, info);
        }
      });
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
      changed(event.getKey(), event.getValue());
    }

    @Override
    public void entryUpdated(EntryEvent<String, String> event) {
      changed(event.getKey(), event.getValue());
    }

    private void changed(String name, String stored) {
      coordinator.execute(() -> {
        String json = authenticDoc(name, stored);
        if (json != null) {
          context.runOnContext(v -> onDoc.accept(name, isTombstone(json) ? null : json));
          recompute();
        }
      });
    }

    @Override
    public void entryRemoved(EntryEvent<String, String> event) {
      String name = event.getKey();
      coordinator.execute(() -> {
        String authentic = authenticDocs.get(name);
        String json = authentic == null ? null : openString(DOCS, name, authentic);
        if (json != null && !isTombstone(json)) {
          refuse(DOCS, name, "deleted from the map, which walmesh never does (it writes a tombstone)");
          restoreDoc(name, null);
        }
      });
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

    private void update(String stored) {
      JsonObject json = openJson(ASSIGNMENT, "current", stored);
      if (json == null) {
        coordinator.execute(Mesh.this::recompute); // the leader publishes over it
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
