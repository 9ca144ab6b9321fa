package io.walmesh.node.mesh;

import io.vertx.core.json.JsonArray;
import io.walmesh.spi.config.ConfigException;
import io.walmesh.spi.config.ConfigReader;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code cluster} section of a node config: present, the node joins a mesh.
 * <pre>
 * "cluster": {
 *   "name": "walmesh",                    meshes with different names never merge
 *   "host": "127.0.0.1",                  interface for Hazelcast and the clustered event bus
 *   "port": 5701,                         Hazelcast port (the next free one when taken)
 *   "members": ["10.0.0.1", "10.0.0.2:5701"],   TCP-IP discovery, or:
 *   "multicast": true,                    multicast discovery, or:
 *   "kubernetes": {"namespace": "walmesh", "service-name": "walmesh-hazelcast"},
 *   "shards": ["orders", "carts"],        shards this node may own; empty: any
 *   "roles": ["gateway", "producer", "consumer"],
 *   "failover-delay-ms": 5000,            how long a departed node keeps its shards
 *   "member-timeout-ms": 10000,           how long without heartbeats before a node counts as gone
 *   "event-bus-api": false,               whether other members may write through this node's event-bus gateway
 *   "secret-path": "mesh.secret",         the mesh secret (base64, 32+ random bytes): seals the mesh's maps
 *   "tls": {                              TLS with client certificates between nodes on the event bus
 *     "cert-path": "node.pem", "key-path": "node-key.pem", "ca-path": "ca.pem"
 *   }
 * }
 * </pre>
 * Every node of a mesh needs the same secret and certificates from the same CA; docs/security.md
 * says what each protects against.
 */
public final class ClusterOptions {
  public static final String GATEWAY = "gateway";
  public static final String PRODUCER = "producer";
  public static final String CONSUMER = "consumer";
  private static final Set<String> ROLES = Set.of(GATEWAY, PRODUCER, CONSUMER);
  private static final Set<String> FIELDS = Set.of("name", "host", "port", "members", "multicast", "kubernetes",
      "shards", "roles", "failover-delay-ms", "member-timeout-ms", "secret-path", "tls", "event-bus-api");

  /** TLS on the clustered event bus: this node's certificate and key, and the CA that signs every node's. */
  public record BusTls(java.nio.file.Path certPath, java.nio.file.Path keyPath, java.nio.file.Path caPath) {
  }

  private String name = "walmesh";
  private String host = "127.0.0.1";
  private int port = 5701;
  private List<String> members = new ArrayList<>();
  private boolean multicast;
  private String kubernetesNamespace;
  private String kubernetesService;
  private Set<String> shards = new LinkedHashSet<>();
  private Set<String> roles = new LinkedHashSet<>(List.of(GATEWAY, PRODUCER, CONSUMER));
  private long failoverDelayMs = 5_000;
  private long memberTimeoutMs = 10_000;
  private byte[] secret;
  private BusTls tls;
  private boolean eventBusApi;

  public ClusterOptions() {
  }

  /** Reads the {@code cluster} section; errors name the field. */
  public static ClusterOptions read(ConfigReader reader) {
    reader.rejectUnknown(FIELDS);
    ClusterOptions options = new ClusterOptions();
    options.name = reader.optString("name", options.name);
    options.host = reader.optString("host", options.host);
    options.port = reader.optInt("port", options.port, 0, 65535);
    options.members = strings(reader, "members");
    options.multicast = reader.optBoolean("multicast", false);
    if (reader.has("kubernetes")) {
      ConfigReader k8s = reader.object("kubernetes");
      k8s.rejectUnknown(Set.of("namespace", "service-name"));
      options.kubernetesNamespace = k8s.requireString("namespace");
      options.kubernetesService = k8s.requireString("service-name");
    }
    int discoveries = (options.members.isEmpty() ? 0 : 1) + (options.multicast ? 1 : 0)
        + (options.kubernetesService == null ? 0 : 1);
    if (discoveries != 1) {
      throw new ConfigException(reader.field("members"), "choose exactly one discovery: \"members\" (a TCP-IP list),"
          + " \"multicast\": true, or \"kubernetes\"");
    }
    options.shards = new LinkedHashSet<>(strings(reader, "shards"));
    if (reader.has("roles")) {
      options.roles = new LinkedHashSet<>(strings(reader, "roles"));
      for (String role : options.roles) {
        if (!ROLES.contains(role)) {
          throw new ConfigException(reader.field("roles"), "unknown role \"" + role + "\"; roles are " + ROLES);
        }
      }
      if (options.roles.isEmpty()) {
        throw new ConfigException(reader.field("roles"), "give at least one role of " + ROLES);
      }
    }
    options.failoverDelayMs = reader.optLong("failover-delay-ms", options.failoverDelayMs, 0, 3_600_000);
    options.memberTimeoutMs = reader.optLong("member-timeout-ms", options.memberTimeoutMs, 2_000, 600_000);
    options.eventBusApi = reader.optBoolean("event-bus-api", false);
    if (reader.has("secret-path")) {
      java.nio.file.Path file = java.nio.file.Path.of(reader.requireString("secret-path"));
      try {
        options.secret = MeshSeal.readSecret(file);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(reader.field("secret-path"), e.getMessage());
      }
    }
    if (reader.has("tls")) {
      ConfigReader tls = reader.object("tls");
      tls.rejectUnknown(Set.of("cert-path", "key-path", "ca-path"));
      options.tls = new BusTls(pem(tls, "cert-path"), pem(tls, "key-path"), pem(tls, "ca-path"));
    }
    return options;
  }

  private static java.nio.file.Path pem(ConfigReader tls, String field) {
    return io.walmesh.node.tls.TlsOptions.file(tls, field, java.nio.file.Path.of(""), true);
  }

  private static List<String> strings(ConfigReader reader, String field) {
    JsonArray array = reader.array(field);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      if (!(array.getValue(i) instanceof String s) || s.isBlank()) {
        throw new ConfigException(reader.field(field) + "[" + i + "]", "must be a non-empty string");
      }
      out.add(s);
    }
    return out;
  }

  public String name() {
    return name;
  }

  public ClusterOptions name(String name) {
    this.name = name;
    return this;
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  public ClusterOptions port(int port) {
    this.port = port;
    return this;
  }

  public List<String> members() {
    return members;
  }

  public ClusterOptions members(List<String> members) {
    this.members = new ArrayList<>(members);
    return this;
  }

  public boolean multicast() {
    return multicast;
  }

  public String kubernetesNamespace() {
    return kubernetesNamespace;
  }

  public String kubernetesService() {
    return kubernetesService;
  }

  public Set<String> shards() {
    return shards;
  }

  public ClusterOptions shards(Set<String> shards) {
    this.shards = new LinkedHashSet<>(shards);
    return this;
  }

  public Set<String> roles() {
    return roles;
  }

  public ClusterOptions roles(Set<String> roles) {
    this.roles = new LinkedHashSet<>(roles);
    return this;
  }

  public boolean hasRole(String role) {
    return roles.contains(role);
  }

  public long failoverDelayMs() {
    return failoverDelayMs;
  }

  public ClusterOptions failoverDelayMs(long ms) {
    this.failoverDelayMs = ms;
    return this;
  }

  /** Whether the event-bus gateway ({@code walmesh.v1.write}) takes writes from other members of the mesh. */
  public boolean eventBusApi() {
    return eventBusApi;
  }

  public ClusterOptions eventBusApi(boolean enabled) {
    this.eventBusApi = enabled;
    return this;
  }

  /** The mesh secret, or null: the mesh's maps are then in the clear and every member is trusted. */
  public byte[] secret() {
    return secret;
  }

  public ClusterOptions secret(byte[] secret) {
    this.secret = secret;
    return this;
  }

  /** TLS on the event bus between nodes, or null (plaintext). */
  public BusTls tls() {
    return tls;
  }

  public ClusterOptions tls(BusTls tls) {
    this.tls = tls;
    return this;
  }

  public long memberTimeoutMs() {
    return memberTimeoutMs;
  }

  public ClusterOptions memberTimeoutMs(long ms) {
    this.memberTimeoutMs = ms;
    return this;
  }
}
