package io.walmesh.node.mesh;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.vertx.core.json.JsonObject;
import io.walmesh.shard.Assignment;
import io.walmesh.shard.ShardAssignor;
import io.walmesh.shard.ShardSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The assignment leader's work, run by the oldest trusted member on the mesh's coordinator: from
 * the trusted live members (their roles and allowed shards), the members that left less than
 * {@code failover-delay-ms} ago, and the shards of the namespace documents (pinned namespaces
 * left out), it computes producer and consumer owners with {@link ShardAssignor} and publishes a
 * new sealed {@link MeshAssignment} generation when they change.
 */
final class AssignmentLeader {
  private static final Logger log = LoggerFactory.getLogger(Mesh.class);
  private final String nodeId;
  private final ClusterOptions options;
  private final HazelcastInstance hz;
  private final IMap<String, String> docs;
  private final IMap<String, String> assignmentMap;
  private final MeshTrust trust;
  private final MeshSeal seal;
  /** Whether this node may lead now: the oldest trusted member, allowed to overrule, not closed. */
  private final BooleanSupplier mayLead;
  private final BooleanSupplier closed;
  /** The last assignment this node saw. */
  private final Supplier<MeshAssignment> current;
  /** Departed members the leader still counts, by node id: when they left, and their member info. */
  private final Map<String, Departed> departed = new ConcurrentHashMap<>();
  /** Whether a backend type keeps entries on one node (its namespaces are pinned there, outside the shards). */
  private volatile Predicate<String> nodeLocalBackend = type -> false;

  private record Departed(long at, boolean producer, boolean consumer, Set<String> shards) {
  }

  AssignmentLeader(String nodeId, ClusterOptions options, HazelcastInstance hz, IMap<String, String> docs,
                   IMap<String, String> assignmentMap, MeshTrust trust, BooleanSupplier mayLead, BooleanSupplier closed,
                   Supplier<MeshAssignment> current) {
    this.nodeId = nodeId;
    this.options = options;
    this.hz = hz;
    this.docs = docs;
    this.assignmentMap = assignmentMap;
    this.trust = trust;
    this.seal = trust.seal();
    this.mayLead = mayLead;
    this.closed = closed;
    this.current = current;
  }

  void nodeLocalBackend(Predicate<String> nodeLocalBackend) {
    this.nodeLocalBackend = nodeLocalBackend;
  }

  /** A member joined: if it had left, it gets its shards back without waiting. */
  void joined(String nodeId) {
    departed.remove(nodeId);
  }

  /** A trusted member left: its shards stay with it for {@code failover-delay-ms}. */
  void left(Member member) {
    Set<String> roles = csv(member.getAttribute(Mesh.ROLES));
    departed.put(member.getAttribute(Mesh.NODE_ID), new Departed(System.currentTimeMillis(),
        roles.contains(ClusterOptions.PRODUCER), roles.contains(ClusterOptions.CONSUMER), csv(member.getAttribute(Mesh.SHARDS))));
  }

  /** The leader's step: recompute and publish when the assignment changed. Runs on the coordinator. */
  void recompute() {
    if (!mayLead.getAsBoolean()) {
      return;
    }
    try {
      long now = System.currentTimeMillis();
      departed.values().removeIf(d -> now - d.at() > options.failoverDelayMs());
      List<io.walmesh.shard.Member> producers = new ArrayList<>();
      List<io.walmesh.shard.Member> consumers = new ArrayList<>();
      Set<String> live = new TreeSet<>();
      for (Member member : hz.getCluster().getMembers()) {
        if (!trust.trusts(member)) {
          continue;
        }
        String id = member.getAttribute(Mesh.NODE_ID);
        live.add(id);
        Set<String> roles = csv(member.getAttribute(Mesh.ROLES));
        Set<String> shards = csv(member.getAttribute(Mesh.SHARDS));
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
        JsonObject json = trust.openJson(Mesh.DOCS, entry.getKey(), entry.getValue());
        if (json == null || json.containsKey(MeshDocuments.TOMBSTONE)) {
          continue;
        }
        JsonObject backend = json.getJsonObject("backend", new JsonObject());
        if (!nodeLocalBackend.test(backend.getString("type", io.walmesh.node.namespace.NamespaceConfig.DEFAULT_BACKEND_TYPE))) {
          shardNames.add(json.getString("shard", "default"));
        }
      }
      List<ShardSpec> specs = shardNames.stream().map(ShardSpec::of).toList();
      MeshAssignment stored = read();
      boolean forged = stored == null; // a value not sealed with the secret: publish over it
      MeshAssignment previous = forged ? current.get() : stored;
      Assignment p = ShardAssignor.assign(producers, specs, previous.producers());
      Assignment c = ShardAssignor.assign(consumers, specs, previous.consumers());
      if (forged || p.generation() != previous.producers().generation() || c.generation() != previous.consumers().generation()
          || !p.owners().equals(previous.producers().owners()) || !c.owners().equals(previous.consumers().owners())) {
        MeshAssignment next = new MeshAssignment(previous.generation() + 1, nodeId, p, c);
        assignmentMap.set("current", seal.sealString(Mesh.ASSIGNMENT, "current", next.toJson().encode()));
        log.info("Mesh {}: assignment generation {}: producers {}, consumers {}", options.name(), next.generation(),
            p.owners(), c.owners());
      }
    } catch (Exception e) {
      if (!closed.getAsBoolean()) {
        log.warn("Mesh {}: computing the shard assignment failed, retrying in 1 s: {}", options.name(), e.toString());
      }
    }
  }

  /** The published assignment; EMPTY when none, null when the map holds one not sealed with the secret. */
  MeshAssignment read() {
    String stored = assignmentMap.get("current");
    if (stored == null) {
      return MeshAssignment.EMPTY;
    }
    JsonObject json = trust.openJson(Mesh.ASSIGNMENT, "current", stored);
    return json == null ? null : MeshAssignment.fromJson(json);
  }

  private static Set<String> csv(String value) {
    Set<String> out = new TreeSet<>();
    if (value != null && !value.isBlank()) {
      out.addAll(Arrays.asList(value.split(",")));
    }
    return out;
  }
}
