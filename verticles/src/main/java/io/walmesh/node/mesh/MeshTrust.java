package io.walmesh.node.mesh;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who in the mesh this node trusts, and what it refused. With a mesh secret, a member counts only
 * once it published a sealed node record naming its Hazelcast member id; one that has not within
 * {@value #PROOF_GRACE_MS} ms is reported. Every value read from the mesh's maps opens through
 * {@link #openString}: one that does not open with the secret is refused, counted and logged on
 * {@code walmesh.audit} (at most once a minute per map, key and reason). Without a secret every
 * member is trusted and nothing is refused.
 */
final class MeshTrust {
  private static final Logger log = LoggerFactory.getLogger(Mesh.class);
  private static final Logger audit = LoggerFactory.getLogger("walmesh.audit");
  /** How long a member may stay in the mesh without proving the secret before it is reported. */
  static final long PROOF_GRACE_MS = 15_000;

  private final ClusterOptions options;
  private final HazelcastInstance hz;
  private final IMap<String, String> nodes;
  private final MeshSeal seal;
  private final BooleanSupplier closed;
  /** Members that proved the mesh secret (a sealed node record with their member id): member id -> node id. */
  private volatile Map<UUID, String> trusted = Map.of();
  /** Members without that proof, by member id: when first seen, and the report made about it. */
  private final Map<UUID, Long> untrustedSince = new ConcurrentHashMap<>();
  private final Map<UUID, String> untrustedReported = new ConcurrentHashMap<>();
  private final AtomicLong refusals = new AtomicLong();
  private volatile String lastRefusal;
  private final Map<String, Long> reportedAt = new ConcurrentHashMap<>();

  MeshTrust(ClusterOptions options, HazelcastInstance hz, IMap<String, String> nodes, MeshSeal seal, BooleanSupplier closed) {
    this.options = options;
    this.hz = hz;
    this.nodes = nodes;
    this.seal = seal;
    this.closed = closed;
  }

  MeshSeal seal() {
    return seal;
  }

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
  void refreshTrust() {
    if (!seal.sealed()) {
      return;
    }
    Map<UUID, String> proved = new HashMap<>();
    for (Map.Entry<String, String> entry : nodes.entrySet()) {
      JsonObject info = openJson(Mesh.NODES, entry.getKey(), entry.getValue());
      String member = info == null ? null : info.getString("member");
      if (member != null && entry.getKey().equals(info.getString("id"))) {
        proved.put(UUID.fromString(member), entry.getKey());
      }
    }
    trusted = proved;
  }

  /** The coordinator's trust step: refresh, and report members that stay without proof past the grace period. */
  void trustStep() {
    if (closed.getAsBoolean() || !seal.sealed()) {
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
              + member.getAttribute(Mesh.NODE_ID) + ")";
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
      if (!closed.getAsBoolean()) {
        log.debug("Mesh {}: checking members' proofs: {}", options.name(), e.toString());
      }
    }
  }

  /** Records and reports a value refused from the mesh (at most one log line per map, key and reason a minute). */
  void refuse(String map, String key, String why) {
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
  String openString(String map, String key, String stored) {
    try {
      return seal.openString(map, key, stored);
    } catch (MeshSeal.Refused e) {
      refuse(map, key, e.getMessage());
      return null;
    }
  }

  JsonObject openJson(String map, String key, String stored) {
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
   * What the mesh's security does now: whether values are sealed and the event bus uses TLS, how
   * many values and members were refused, the last refusal, and the members without proof.
   */
  JsonObject security() {
    return new JsonObject().put("sealed", seal.sealed()).put("event-bus-tls", options.tls() != null)
        .put("refused", refusals.get()).put("last-refused", lastRefusal)
        .put("untrusted-members", new JsonArray(List.copyOf(untrustedReported.values())));
  }

  /**
   * Vouches, for another node of the mesh, that this node identified the caller of a forwarded
   * admin call as {@code principal} (its token or client certificate): a proof over the principal,
   * the call and the time, made with the mesh secret. Null without a secret.
   */
  String vouch(String principal, String method, String uri, long atMs) {
    return seal.mac("forwarded admin call", String.join("\n", principal, method, uri, Long.toString(atMs)));
  }

  /** Whether a forwarded call's proof is one a node of this mesh made within the last minute. */
  boolean vouched(String principal, String method, String uri, long atMs, String proof) {
    long age = System.currentTimeMillis() - atMs;
    return age > -5_000 && age < 60_000
        && seal.verifyMac("forwarded admin call", String.join("\n", principal, method, uri, Long.toString(atMs)), proof);
  }
}
