package io.walmesh.node;

import static io.walmesh.node.TestNodes.request;
import static io.walmesh.node.TestNodes.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.walmesh.node.gateway.GrpcWriteClient;
import io.walmesh.node.plugin.PluginLimits;
import io.walmesh.testkit.PluginJar;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A plugin installed on one node of a mesh reaches every node, also one that joins later; removal too. */
class MeshPluginTest {
  @TempDir
  Path dir;
  EmbeddedMesh mesh;

  @AfterEach
  void close() {
    if (mesh != null) {
      mesh.close();
    }
  }

  static String version(EmbeddedMesh mesh, String node, String plugin) {
    for (Object o : mesh.admin(node).get("/v1/plugins?local=true").body().getJsonArray("plugins")) {
      JsonObject p = (JsonObject) o;
      if (p.getString("id").equals(plugin)) {
        return p.getString("version");
      }
    }
    return null;
  }

  @Test
  void installUpgradeAndRemoveReachEveryNode() {
    mesh = new EmbeddedMesh(dir, 3);
    Node a = mesh.start("a", 0, Set.of());
    mesh.start("b", 1, Set.of());
    Path v1 = PluginHotLoadTest.echoPlugin("echo", "echo", "1.0.0", "com.example.echo", "", "\"1.0.0\"")
        .writeTo(dir.resolve("echo-1.jar"));
    Path v2 = PluginHotLoadTest.echoPlugin("echo", "echo", "2.0.0", "com.example.echo", "", "\"2.0.0\"")
        .writeTo(dir.resolve("echo-2.jar"));

    AdminHttp.Response installed = mesh.admin("a").postFile("/v1/plugins", v1);
    assertThat(installed.status()).as(installed.text()).isEqualTo(201);
    await().atMost(Duration.ofSeconds(15)).until(() -> "1.0.0".equals(version(mesh, "b", "echo")));

    // a local-backend namespace created through b is pinned to b and delivers with b's copy of the plugin
    List<String> received = new CopyOnWriteArrayList<>();
    a.vertx().eventBus().<String>consumer("mesh.echo.out", m -> {
      received.add(m.body());
      m.reply(null);
    }).completion().toCompletionStage().toCompletableFuture().join();
    TestNodes.create(mesh.admin("b"), PluginHotLoadTest.namespace("pinned", "echo", "mesh.echo.out"));
    Vertx clientVertx = Vertx.vertx();
    try (GrpcWriteClient grpc = new GrpcWriteClient(clientVertx, "127.0.0.1", mesh.grpcPort("b"))) {
      String id = PluginHotLoadTest.entryId(write(grpc, request("pinned", "hello").build()));
      await().atMost(Duration.ofSeconds(15)).until(() -> received.contains("1.0.0|" + id + "|hello"));

      // a node that joins later gets the mesh's plugins before it loads namespaces
      mesh.start("c", 2, Set.of());
      assertThat(version(mesh, "c", "echo")).isEqualTo("1.0.0");

      // an upgrade through c reaches a and b; b's namespace switches to v2
      assertThat(mesh.admin("c").postFile("/v1/plugins", v2).status()).isEqualTo(201);
      await().atMost(Duration.ofSeconds(15)).until(() -> "2.0.0".equals(version(mesh, "a", "echo"))
          && "2.0.0".equals(version(mesh, "b", "echo")));
      String after = PluginHotLoadTest.entryId(write(grpc, request("pinned", "again").build()));
      await().atMost(Duration.ofSeconds(15)).until(() -> received.contains("2.0.0|" + after + "|again"));

      // the mesh-wide listing shows every node's version
      JsonObject nodes = mesh.admin("a").get("/v1/plugins").body().getJsonObject("nodes");
      assertThat(nodes.fieldNames()).containsExactlyInAnyOrder("a", "b", "c");
      for (String node : nodes.fieldNames()) {
        assertThat(nodes.getJsonObject(node).getJsonArray("plugins").getJsonObject(0).getString("version"))
            .as("on " + node).isEqualTo("2.0.0");
      }

      // removal is refused while a namespace anywhere uses it; after the namespace goes, it leaves every node,
      // also one that was away at the time and comes back with the old jar in its directory
      mesh.stop("c");
      assertThat(mesh.admin("a").call("DELETE", "/v1/plugins/echo", null).status()).isEqualTo(409);
      assertThat(mesh.admin("b").call("DELETE", "/v1/namespaces/pinned?force=true", null).status()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(10)).until(() -> mesh.admin("a").call("DELETE", "/v1/plugins/echo", null).status() == 200);
      await().atMost(Duration.ofSeconds(15)).until(() -> version(mesh, "b", "echo") == null);
      mesh.start("c", 2, Set.of());
      assertThat(version(mesh, "c", "echo")).isNull();
      // c joined (and would have republished its copy) before start() returned: the mesh still holds the tombstone
      assertThat(TestNodes.await(a.cluster().pluginJars()).get("echo")).as("the returning node does not bring it back")
          .isEmpty();
      assertThat(version(mesh, "a", "echo")).isNull();
    } finally {
      clientVertx.close();
    }
  }

  /**
   * A mesh keeps every published jar in its nodes' heaps, so an upload over plugins.max-mesh-jar-bytes is refused with
   * 413 naming that limit, before it is installed on any node; a node that is not in a mesh takes it (its own limit is
   * max-jar-bytes).
   */
  @Test
  void aJarOverTheMeshLimitIsRefusedBeforeItIsInstalledAnywhere() throws Exception {
    mesh = new EmbeddedMesh(dir, 2);
    Path jar = PluginHotLoadTest.echoPlugin("echo", "echo", "1.0.0", "com.example.echo", "", "\"1.0.0\"")
        .writeTo(dir.resolve("echo.jar"));
    long limit = java.nio.file.Files.size(jar) - 1;
    java.util.function.UnaryOperator<NodeOptions> limited = options -> options.pluginLimits(new PluginLimits(
        PluginLimits.DEFAULT_MAX_JAR_BYTES, PluginLimits.DEFAULT_MAX_UNPACKED_BYTES, PluginLimits.DEFAULT_MAX_ENTRY_BYTES,
        PluginLimits.DEFAULT_MAX_ENTRIES, limit));
    Node a = mesh.start("a", 0, Set.of(), 0, limited);
    mesh.start("b", 1, Set.of(), 0, limited);

    AdminHttp.Response refused = mesh.admin("a").postFile("/v1/plugins", jar);
    assertThat(refused.status()).as(refused.text()).isEqualTo(413);
    assertThat(refused.body().getString("error")).contains("plugin jar over " + limit + " bytes",
        "the plugins' max-mesh-jar-bytes limit", "the upload was refused");
    assertThat(version(mesh, "a", "echo")).isNull();
    assertThat(version(mesh, "b", "echo")).isNull();
    assertThat(TestNodes.await(a.cluster().pluginJars())).doesNotContainKey("echo");

    Node single = TestNodes.await(new Node(limited.apply(new NodeOptions().nodeId("single").dataDir(dir.resolve("single"))
        .grpc("127.0.0.1", 0).admin("127.0.0.1", 0))).start());
    try {
      AdminHttp.Response installed = new AdminHttp(single.adminPort()).postFile("/v1/plugins", jar);
      assertThat(installed.status()).as(installed.text()).isEqualTo(201);
    } finally {
      TestNodes.await(single.stop());
    }
  }
}
