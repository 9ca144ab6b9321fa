package io.walmesh.node;

import static io.walmesh.node.TestNodes.await;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.node.cli.WalmeshCommand;
import io.walmesh.node.mesh.ClusterOptions;
import io.walmesh.testkit.ChildProcess;
import io.walmesh.testkit.FreePorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * A mesh for tests: nodes in this JVM (each its own clustered Vert.x and Hazelcast member) or in
 * child JVMs (so a test can {@code kill -9} one), all on loopback with a TCP-IP member list, under
 * a cluster name unique to this mesh. Start, add, stop and kill nodes; every node gets its own
 * data directory and free ports.
 */
final class EmbeddedMesh implements AutoCloseable {
  private final String name;
  private final Path dir;
  private final List<String> members = new ArrayList<>();
  private final Map<String, Node> nodes = new LinkedHashMap<>();
  private final Map<String, ChildProcess> children = new LinkedHashMap<>();
  private final Map<String, Integer> adminPorts = new LinkedHashMap<>();
  private final Map<String, Integer> grpcPorts = new LinkedHashMap<>();
  private byte[] secret;
  private ClusterOptions.BusTls tls;

  /** A mesh whose Hazelcast member list has room for {@code maxNodes} nodes. */
  EmbeddedMesh(Path dir, int maxNodes) {
    this(dir, "walmesh-test-" + UUID.randomUUID().toString().substring(0, 8), maxNodes);
  }

  EmbeddedMesh(Path dir, String name, int maxNodes) {
    this.dir = dir;
    this.name = name;
    for (int i = 0; i < maxNodes; i++) {
      members.add("127.0.0.1:" + FreePorts.next());
    }
  }

  String name() {
    return name;
  }

  /** Hazelcast member addresses of this mesh (host:port), for a process that knocks on its doors. */
  List<String> members() {
    return List.copyOf(members);
  }

  /** Nodes started from now on seal the mesh's maps with {@code secret} and use {@code tls} on the event bus (either may be null). */
  EmbeddedMesh secure(byte[] secret, ClusterOptions.BusTls tls) {
    this.secret = secret;
    this.tls = tls;
    return this;
  }

  /** Adds another mesh's member addresses to this one's list (its nodes then knock on the other's doors). */
  void alsoList(EmbeddedMesh other) {
    members.addAll(other.members);
  }

  private ClusterOptions clusterOptions(int slot, Set<String> shards) {
    return new ClusterOptions().name(name).members(members).port(Integer.parseInt(members.get(slot).split(":")[1]))
        .shards(shards).failoverDelayMs(1_000).memberTimeoutMs(4_000).secret(secret).tls(tls);
  }

  /** Starts node {@code id} in this JVM in member slot {@code slot}, allowed {@code shards} (empty: any). */
  Node start(String id, int slot, Set<String> shards) {
    return start(id, slot, shards, 0);
  }

  /** Starts node {@code id} in this JVM with a fixed gRPC port (0: any), e.g. to restart it where clients expect it. */
  Node start(String id, int slot, Set<String> shards, int grpcPort) {
    return start(id, slot, shards, grpcPort, options -> options);
  }

  /** Starts node {@code id} in this JVM with its options changed by {@code customize} (TLS, auth). */
  Node start(String id, int slot, Set<String> shards, int grpcPort, java.util.function.UnaryOperator<NodeOptions> customize) {
    Node node = await(new Node(customize.apply(new NodeOptions().nodeId(id).dataDir(dir.resolve(id)).grpc("127.0.0.1", grpcPort)
        .admin("127.0.0.1", 0).cluster(clusterOptions(slot, shards)))).start());
    nodes.put(id, node);
    adminPorts.put(id, node.adminPort());
    grpcPorts.put(id, node.grpcPort());
    return node;
  }

  /** Starts node {@code id} as a child JVM (a real process to kill), with the same options. */
  void startChild(String id, int slot, Set<String> shards) throws Exception {
    int admin = FreePorts.next();
    int grpc = FreePorts.next();
    ClusterOptions cluster = clusterOptions(slot, shards);
    JsonObject config = new JsonObject().put("node-id", id).put("data-dir", dir.resolve(id).toString())
        .put("grpc", new JsonObject().put("port", grpc)).put("admin", new JsonObject().put("port", admin))
        .put("cluster", new JsonObject().put("name", name).put("members", new JsonArray(members))
            .put("port", cluster.port()).put("shards", new JsonArray(List.copyOf(shards)))
            .put("failover-delay-ms", cluster.failoverDelayMs()).put("member-timeout-ms", cluster.memberTimeoutMs()));
    Files.createDirectories(dir);
    Path file = dir.resolve(id + ".json");
    Files.writeString(file, config.encodePrettily());
    ChildProcess child = ChildProcess.startJava(WalmeshCommand.class.getName(), List.of("start", "--config", file.toString()),
        dir.resolve(id + ".log"));
    children.put(id, child);
    adminPorts.put(id, admin);
    grpcPorts.put(id, grpc);
    AdminHttp http = admin(id);
    try {
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
          .until(() -> http.get("/v1/health").status() == 200);
    } catch (RuntimeException e) {
      throw new AssertionError("node " + id + " did not start: " + child.output(), e);
    }
  }

  AdminHttp admin(String id) {
    return new AdminHttp(adminPorts.get(id));
  }

  int grpcPort(String id) {
    return grpcPorts.get(id);
  }

  Node node(String id) {
    return nodes.get(id);
  }

  /** Stops a node gracefully. */
  void stop(String id) {
    Node node = nodes.remove(id);
    if (node != null) {
      await(node.stop());
    }
    ChildProcess child = children.remove(id);
    if (child != null) {
      child.stop();
    }
  }

  /** Kills a child node with SIGKILL. */
  void kill(String id) {
    children.get(id).kill();
  }

  /** The cluster view from a node's admin API. */
  JsonObject cluster(String viaNode) {
    return admin(viaNode).get("/v1/cluster").body();
  }

  @Override
  public void close() {
    for (String id : List.copyOf(nodes.keySet())) {
      try {
        stop(id);
      } catch (RuntimeException ignored) {
        // best effort at the end of a test
      }
    }
    children.values().forEach(ChildProcess::close);
    children.clear();
  }
}
