package io.walmesh.node;

import static io.walmesh.node.TestNodes.await;
import static io.walmesh.node.TestNodes.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hazelcast.config.Config;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import io.walmesh.node.gateway.GrpcWriteClient;
import io.walmesh.node.mesh.ClusterOptions;
import io.walmesh.node.mesh.MeshSeal;
import io.walmesh.node.tls.CertificateAuthority;
import io.walmesh.protocol.Addresses;
import io.walmesh.protocol.v1.Trilean;
import io.walmesh.protocol.v1.WriteToLogResponse;
import io.walmesh.testkit.FreePorts;
import io.walmesh.testkit.HttpSink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rogue process joins a two-node mesh that has a mesh secret and TLS on its event bus. The rogue
 * knows the cluster name and the member addresses (all Hazelcast needs), so it becomes a Hazelcast
 * member and a clustered Vert.x node, and tries each attack found from outside: reading a secret,
 * changing and deleting a namespace, replaying an old namespace document, shipping a plugin,
 * answering writes meant for the owner and injecting writes. Each fails, and the real nodes report
 * the rogue and the values they refused in {@code GET /v1/cluster} (and the audit log).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MeshSecurityTest {
  static final String SECRET_HEADER = "Bearer s3cret-token-of-the-orders-target";
  @TempDir
  static Path dir;
  static Vertx client;
  static HttpSink sink;
  static HttpSink rogueSink;
  static EmbeddedMesh mesh;
  static Vertx rogue;
  static HazelcastInstance rogueHz;

  @BeforeAll
  static void start() throws Exception {
    client = Vertx.vertx();
    sink = new HttpSink(client).start();
    rogueSink = new HttpSink(client).start();
    CertificateAuthority.Files certs = CertificateAuthority.createAll(dir.resolve("certs"), List.of(), "unused");
    Path secretFile = dir.resolve("mesh.secret");
    Files.writeString(secretFile, MeshSeal.newSecret());
    mesh = new EmbeddedMesh(dir, 2).secure(MeshSeal.readSecret(secretFile),
        new ClusterOptions.BusTls(certs.nodeCert(), certs.nodeKey(), certs.caCert()));
    mesh.start("n1", 0, Set.of());
    mesh.start("n2", 1, Set.of());
    // pinned to n2 (local backend): a write sent to n1 crosses the event bus to n2
    JsonObject orders = TestNodes.namespace("orders", sink.url("/orders"));
    orders.getJsonArray("targets").getJsonObject(0).getJsonObject("config")
        .put("headers", new JsonObject().put("Authorization", SECRET_HEADER));
    TestNodes.create(mesh.admin("n2"), orders);
    await().atMost(Duration.ofSeconds(20)).until(() -> mesh.admin("n1").get("/v1/namespaces/orders").status() == 200);

    // the rogue: the right cluster name and the member list, no secret, no certificate
    Config config = ConfigUtil.loadConfig();
    config.setClusterName(mesh.name());
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.heartbeat.interval.seconds", "1"); // the mesh drops members silent for 4 s
    config.getMemberAttributeConfig().setAttribute("walmesh.node-id", "rogue");
    config.getMemberAttributeConfig().setAttribute("walmesh.roles", "gateway,producer,consumer");
    config.getMemberAttributeConfig().setAttribute("walmesh.shards", "");
    config.getNetworkConfig().setPort(FreePorts.next()).setPortAutoIncrement(true);
    config.getNetworkConfig().getInterfaces().setEnabled(true).setInterfaces(List.of("127.0.0.1"));
    config.getNetworkConfig().getJoin().getAutoDetectionConfig().setEnabled(false);
    config.getNetworkConfig().getJoin().getMulticastConfig().setEnabled(false);
    config.getNetworkConfig().getJoin().getTcpIpConfig().setEnabled(true).setMembers(mesh.members());
    HazelcastClusterManager manager = new HazelcastClusterManager(config);
    rogue = await(Vertx.builder().withClusterManager(manager).buildClustered());
    rogueHz = manager.getHazelcastInstance();
    assertThat(rogueHz.getCluster().getMembers()).as("the rogue is in the Hazelcast cluster").hasSize(3);
  }

  @AfterAll
  static void stop() {
    if (rogue != null) {
      await(rogue.close());
    }
    if (mesh != null) {
      mesh.close();
    }
    sink.close();
    rogueSink.close();
    await(client.close());
  }

  private static IMap<String, String> docs() {
    return rogueHz.getMap("walmesh.namespaces");
  }

  private static String targetUrl(String node) {
    return mesh.admin(node).get("/v1/namespaces/orders").body().getJsonObject("config").getJsonArray("targets")
        .getJsonObject(0).getJsonObject("config").getString("url");
  }

  private static JsonObject security(String node) {
    return mesh.cluster(node).getJsonObject("security");
  }

  @Test
  @Order(1)
  void theRogueReadsNoSecretAndNoNamespace() {
    String stored = docs().get("orders");
    assertThat(stored).as("the document is on the map").isNotNull();
    assertThat(stored).as("sealed").startsWith("wm1:").doesNotContain("s3cret").doesNotContain("orders\"")
        .doesNotContain(sink.url("/orders"));
    for (String value : docs().values()) {
      assertThat(value).startsWith("wm1:");
    }
    IMap<String, String> nodes = rogueHz.getMap("walmesh.nodes");
    assertThat(nodes.values()).as("node records (addresses, member ids) are sealed too").isNotEmpty()
        .allSatisfy(v -> assertThat(v).startsWith("wm1:").doesNotContain("127.0.0.1"));
  }

  @Test
  @Order(2)
  void theRogueLeadsNothingOwnsNoShardsAndIsReported() {
    await("the real nodes report the member that has not proved the secret").atMost(Duration.ofSeconds(40))
        .pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
          for (String node : List.of("n1", "n2")) {
            assertThat(security(node).getJsonArray("untrusted-members").encode()).as(node).contains("rogue");
          }
        });
    JsonObject cluster = mesh.cluster("n1");
    assertThat(cluster.getString("leader")).isEqualTo("n1");
    assertThat(cluster.getJsonArray("nodes").encode()).doesNotContain("\"rogue\"");
    assertThat(cluster.encode()).as("no shard is owned by the rogue").doesNotContain("\"rogue\"");
    assertThat(security("n1").getBoolean("sealed")).isTrue();
    assertThat(security("n1").getBoolean("event-bus-tls")).isTrue();
  }

  @Test
  @Order(3)
  void aNamespaceChangedOrDeletedByTheRogueStaysAsTheMeshHasIt() {
    String original = sink.url("/orders");
    long refusedBefore = security("n1").getLong("refused");
    JsonObject forged = new JsonObject().put("name", "orders").put("targets", new io.vertx.core.json.JsonArray()
        .add(TestNodes.httpTarget("t", rogueSink.url("/stolen"))));
    docs().set("orders", forged.encode());
    await("the leader puts the mesh's document back").atMost(Duration.ofSeconds(15))
        .until(() -> docs().get("orders").startsWith("wm1:"));
    assertThat(security("n1").getLong("refused")).isGreaterThan(refusedBefore);
    docs().delete("orders");
    await("a deletion nobody sealed is undone").atMost(Duration.ofSeconds(15))
        .until(() -> docs().get("orders") != null && docs().get("orders").startsWith("wm1:"));
    for (String node : List.of("n1", "n2")) {
      assertThat(mesh.admin(node).get("/v1/namespaces/orders").status()).as(node + " still has the namespace").isEqualTo(200);
      assertThat(targetUrl(node)).as(node + " kept the target").isEqualTo(original);
    }
    GrpcWriteClient viaN2 = new GrpcWriteClient(client, "127.0.0.1", mesh.grpcPort("n2"));
    try {
      assertThat(TestNodes.write(viaN2, request("orders", "after the forgery").build()).response().getDurable())
          .isEqualTo(Trilean.SUCCESS);
      await().atMost(Duration.ofSeconds(20)).until(() -> sink.deliveredBodies().contains("after the forgery"));
      assertThat(rogueSink.received()).as("nothing went to the rogue's URL").isEmpty();
      assertThat(sink.delivered().get(0).headers().get("authorization")).isEqualTo(SECRET_HEADER);
    } finally {
      viaN2.close();
    }
  }

  @Test
  @Order(4)
  void aReplayedOlderDocumentIsRefused() {
    String old = docs().get("orders");
    // an admin changes the namespace more than the replay tolerance later
    await().pollDelay(Duration.ofMillis(MeshSeal.REPLAY_TOLERANCE_MS + 500)).until(() -> true);
    JsonObject changed = mesh.admin("n1").get("/v1/namespaces/orders").body().getJsonObject("config").copy();
    changed.getJsonArray("targets").getJsonObject(0).getJsonObject("config").put("url", sink.url("/orders-v2"));
    assertThat(mesh.admin("n1").call("PUT", "/v1/namespaces/orders", changed).status()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(15)).until(() -> targetUrl("n2").equals(sink.url("/orders-v2")));
    long refusedBefore = security("n2").getLong("refused");
    docs().set("orders", old);
    await("the replay is refused and reported").atMost(Duration.ofSeconds(15))
        .until(() -> security("n2").getLong("refused") > refusedBefore);
    await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      assertThat(targetUrl("n1")).isEqualTo(sink.url("/orders-v2"));
      assertThat(targetUrl("n2")).isEqualTo(sink.url("/orders-v2"));
    });
    assertThat(security("n2").getString("last-refused")).contains("older value replayed");
  }

  @Test
  @Order(5)
  void aPluginShippedByTheRogueIsNeverLoaded() {
    String id = "rogue-plugin";
    Path jar = TestNodes.markerPlugin(id, "com.example.roguemesh").writeTo(dir.resolve("rogue.jar"));
    long refusedBefore = security("n1").getLong("refused");
    IMap<String, byte[]> jars = rogueHz.getMap("walmesh.plugin-jars");
    try {
      jars.set(id, Files.readAllBytes(jar));
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
    await("the jar is refused and reported").atMost(Duration.ofSeconds(15))
        .until(() -> security("n1").getLong("refused") > refusedBefore);
    await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      for (String node : List.of("n1", "n2")) {
        assertThat(mesh.admin(node).get("/v1/plugins?local=true").body().encode()).as(node).doesNotContain(id);
      }
    });
    assertThat(System.getProperty("walmesh.test.ran." + id)).as("no code from the jar ran").isNull();
  }

  /**
   * The address where a node answers fresh counts of the namespaces it delivers, for a delete or a move decided on the
   * node that takes their writes, answers a member (here n1 asking n2, which runs the pinned namespace) and never the
   * rogue, which has no certificate for the event bus.
   */
  @Test
  @Order(6)
  void theRogueReadsNoCountsFromTheNodes() {
    String n2Counts = "walmesh.namespace-count.n2"; // DeliveringNodeCounts.ADDRESS_PREFIX + node id
    JsonObject ask = new JsonObject().put("namespace", "orders");
    io.vertx.core.eventbus.Message<Object> answered = await(mesh.node("n1").vertx().eventBus().request(n2Counts, ask,
        new DeliveryOptions().setSendTimeout(10_000)));
    assertThat(((JsonObject) answered.body()).containsKey("pending")).as("a member gets the counts").isTrue();

    Throwable refused = await(rogue.eventBus().request(n2Counts, ask, new DeliveryOptions().setSendTimeout(5_000))
        .<Throwable>map(m -> null).otherwise(e -> e));
    assertThat(refused).as("the rogue gets no answer").isNotNull();
  }

  @Test
  @Order(6)
  void writesAreNeverAnsweredNorInjectedByTheRogue() {
    // the rogue takes writes for the namespace on the event bus, and answers each with a forged SUCCESS
    WriteToLogResponse forgedAnswer = WriteToLogResponse.newBuilder().setDurable(Trilean.SUCCESS)
        .setEntryId("forged-by-the-rogue").build();
    MessageConsumer<Buffer> owner = rogue.eventBus().consumer(Addresses.write("orders"),
        m -> m.reply(Buffer.buffer(forgedAnswer.toByteArray())));
    MessageConsumer<Buffer> gateway = rogue.eventBus().consumer(Addresses.GATEWAY_WRITE,
        m -> m.reply(Buffer.buffer(forgedAnswer.toByteArray())));
    await(owner.completion());
    await(gateway.completion());

    GrpcWriteClient viaN1 = new GrpcWriteClient(client, "127.0.0.1", mesh.grpcPort("n1"));
    List<Future<GrpcWriteClient.Result>> calls = new ArrayList<>();
    List<String> payloads = new ArrayList<>();
    try {
      // writes the event bus routes to the rogue fail at the TLS handshake: answered UNKNOWN (or not) when the deadline ends
      for (int i = 0; i < 12; i++) {
        String payload = "routed write " + i;
        payloads.add(payload);
        calls.add(viaN1.write(request("orders", payload).build(), 12_000));
      }
      List<String> acknowledged = new ArrayList<>();
      for (int i = 0; i < calls.size(); i++) {
        GrpcWriteClient.Result result = await(calls.get(i));
        if (result.response() != null) {
          assertThat(result.response().getEntryId()).as("no answer comes from the rogue").isNotEqualTo("forged-by-the-rogue");
          if (result.response().getDurable() == Trilean.SUCCESS) {
            acknowledged.add(payloads.get(i));
          }
        }
      }
      assertThat(acknowledged).as("the real owner still answers").isNotEmpty();
      assertThat(rogueHz.getCluster().getMembers()).as("the rogue was in the mesh all along").hasSize(3);
      await("every acknowledged write is delivered").atMost(Duration.ofSeconds(30))
          .until(() -> sink.deliveredBodies().containsAll(acknowledged));
    } finally {
      viaN1.close();
    }

    // the rogue sends a write of its own into the mesh: the nodes' event bus wants a client certificate
    await(owner.unregister());
    await(gateway.unregister());
    io.walmesh.protocol.v1.WriteToLogRequest injected = request("orders", "injected by the rogue").build();
    Future<io.vertx.core.eventbus.Message<Object>> sent = rogue.eventBus().request(Addresses.write("orders"), Buffer.buffer(injected.toByteArray()),
        new DeliveryOptions().setSendTimeout(5_000));
    await(sent.otherwiseEmpty().mapEmpty());
    // the same through the producer's batch address, which gateways of members use, with walmesh's own codec
    io.walmesh.protocol.ProtobufCodec.registerWriteCodecs(rogue.eventBus());
    await(rogue.eventBus().request(Addresses.writeBatch("orders"), io.walmesh.protocol.v1.WriteToLogBatchRequest.newBuilder()
            .addRequests(request("orders", "batch injected by the rogue")).addRequests(request("orders", "batch injected 2"))
            .build(), new DeliveryOptions().setSendTimeout(5_000)).otherwiseEmpty().mapEmpty());
    // the gateway address is not offered to the mesh unless cluster.event-bus-api says so
    Throwable noGateway = await(rogue.eventBus().request(Addresses.GATEWAY_WRITE, Buffer.buffer(injected.toByteArray()),
        new DeliveryOptions().setSendTimeout(5_000)).<Throwable>map(m -> null).otherwise(e -> e));
    assertThat(noGateway).isInstanceOf(io.vertx.core.eventbus.ReplyException.class);
    assertThat(((io.vertx.core.eventbus.ReplyException) noGateway).failureType())
        .isEqualTo(io.vertx.core.eventbus.ReplyFailure.NO_HANDLERS);
    await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
        .until(() -> !sink.deliveredBodies().contains("injected by the rogue")
            && !sink.deliveredBodies().contains("batch injected by the rogue"));
  }

  @Test
  @Order(7)
  void aNamespaceDeletedWhileANodeWasAwayStaysDeletedWhenItComesBack() {
    TestNodes.create(mesh.admin("n1"), TestNodes.namespace("ephemeral", sink.url("/ephemeral")));
    Path copyOnN2 = dir.resolve("n2").resolve("namespaces").resolve("ephemeral.json");
    await().atMost(Duration.ofSeconds(15)).until(() -> Files.exists(copyOnN2));
    mesh.stop("n2");
    AdminHttp.Response deleted = mesh.admin("n1").call("DELETE", "/v1/namespaces/ephemeral", null);
    assertThat(deleted.status()).as(deleted.text()).isEqualTo(200);
    assertThat(Files.exists(copyOnN2)).as("n2 was away: its copy is still on its disk").isTrue();
    mesh.start("n2", 1, Set.of());
    await("n2 removes its copy: the mesh's tombstone wins over it").atMost(Duration.ofSeconds(20))
        .until(() -> !Files.exists(copyOnN2));
    for (String node : List.of("n1", "n2")) {
      assertThat(mesh.admin(node).get("/v1/namespaces/ephemeral").status()).as(node).isEqualTo(404);
    }
  }

  @Test
  @Order(8)
  void aForgedShardAssignmentIsRefusedAndTheLeaderPublishesOverIt() {
    IMap<String, String> assignment = rogueHz.getMap("walmesh.assignment");
    long refusedBefore = security("n2").getLong("refused");
    long generation = mesh.cluster("n2").getLong("generation");
    assignment.set("current", new JsonObject().put("generation", generation + 100).put("leader", "rogue")
        .put("producers", new JsonObject().put("default", new io.vertx.core.json.JsonArray().add("rogue")))
        .put("producers-generation", generation + 100)
        .put("consumers", new JsonObject().put("default", new io.vertx.core.json.JsonArray().add("rogue")))
        .put("consumers-generation", generation + 100).encode());
    await("the forgery is refused and the leader publishes over it").atMost(Duration.ofSeconds(15))
        .until(() -> security("n2").getLong("refused") > refusedBefore && assignment.get("current").startsWith("wm1:"));
    for (String node : List.of("n1", "n2")) {
      JsonObject cluster = mesh.cluster(node);
      assertThat(cluster.getLong("generation")).as(node + " never took the forged generation").isLessThan(generation + 100);
      assertThat(cluster.encode()).as(node).doesNotContain("\"rogue\"");
    }
  }
}
