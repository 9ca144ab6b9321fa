package io.walmesh.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.node.gateway.GrpcWriteClient;
import io.walmesh.protocol.v1.Lifecycle;
import io.walmesh.protocol.v1.WriteToLogRequest;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Helpers shared by the node tests: start a node in this JVM, namespace documents, requests. */
final class TestNodes {
  private TestNodes() {
  }

  static Node start(Path dataDir) {
    return start(dataDir, "test");
  }

  static Node start(Path dataDir, String nodeId) {
    Node node = new Node(new NodeOptions().nodeId(nodeId).dataDir(dataDir).grpc("127.0.0.1", 0).admin("127.0.0.1", 0));
    return await(node.start());
  }

  /** A node config file's document for a node in a child process: its id, data directory and ports on loopback. */
  static JsonObject childConfig(String nodeId, Path dataDir, int grpcPort, int adminPort) {
    return new JsonObject().put("node-id", nodeId).put("data-dir", dataDir.toString())
        .put("grpc", new JsonObject().put("port", grpcPort)).put("admin", new JsonObject().put("port", adminPort));
  }

  static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e.getCause() == null ? e : e.getCause());
    }
  }

  /** A namespace document with one http target and fast retries. */
  static JsonObject namespace(String name, String url) {
    return new JsonObject()
        .put("name", name)
        .put("targets", new JsonArray().add(httpTarget("web", url)))
        .put("retry", new JsonObject().put("max-attempts", 5).put("initial-backoff-ms", 100).put("multiplier", 2.0)
            .put("jitter", 0.0))
        .put("consumer", new JsonObject().put("poll-interval-ms", 20));
  }

  static JsonObject httpTarget(String name, String url) {
    return new JsonObject().put("name", name).put("type", "http").put("config", new JsonObject().put("url", url));
  }

  static void create(AdminHttp admin, JsonObject namespace) {
    AdminHttp.Response response = admin.post("/v1/namespaces", namespace);
    assertThat(response.status()).as(response.text()).isEqualTo(201);
  }

  static WriteToLogRequest.Builder request(String namespace, String payload) {
    return WriteToLogRequest.newBuilder().setNamespace(namespace).setPayload(ByteString.copyFromUtf8(payload));
  }

  static WriteToLogRequest delayed(String namespace, String payload, long delayMs) {
    return request(namespace, payload).setLifecycle(Lifecycle.newBuilder().setDelayMs(delayMs)).build();
  }

  static GrpcWriteClient.Result write(GrpcWriteClient client, WriteToLogRequest request) {
    return await(client.write(request, 10_000));
  }

  /**
   * A target plugin {@code id} whose factory's static initializer sets the system property
   * {@code walmesh.test.ran.<id>}: proof that code from the jar ran.
   */
  static io.walmesh.testkit.PluginJar markerPlugin(String id, String pkg) {
    String factory = pkg + ".MarkerFactory";
    return io.walmesh.testkit.PluginJar.create().descriptor(id, "1.0.0", id).targetFactories(factory).source(factory, """
        package %s;
        import io.vertx.core.json.JsonObject;
        import io.walmesh.spi.PluginContext;
        import io.walmesh.spi.target.Target;
        import io.walmesh.spi.target.TargetFactory;
        public final class MarkerFactory implements TargetFactory {
          static { System.setProperty("walmesh.test.ran.%s", "yes"); }
          public String type() { return "%s"; }
          public void validate(JsonObject config, String path) { }
          public Target create(PluginContext context, String name, JsonObject config) {
            return d -> io.vertx.core.Future.succeededFuture();
          }
        }
        """.formatted(pkg, id, id));
  }
}
