package io.walmesh.node;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.target.Delivery;
import io.walmesh.testkit.HttpSink;
import io.walmesh.testkit.TargetContract;
import io.walmesh.testkit.TargetTests;
import io.walmesh.testkit.TcpProxy;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * The target contract of the {@code walmesh} target (plugins/target-walmesh) against a real remote
 * walmesh node in this JVM, reached through a TCP proxy that the kit stops for outages. It lives
 * here, not in the plugin's module, because a node is this module and this module depends on the
 * plugin: the plugin's tests cannot start a node without a dependency cycle.
 *
 * <p>The remote namespace {@code replica} keeps per-key order, takes payloads up to 64 bytes (a
 * larger one is refused with INVALID_ARGUMENT: permanent) and delivers to an HTTP sink, which is
 * where the kit reads back what a key holds.
 */
class WalmeshTargetContractTest extends TargetContract {
  @TempDir
  static Path remoteDir;
  static Node remote;
  static HttpSink sink;
  static TcpProxy proxy;

  @BeforeAll
  static void startRemote() throws Exception {
    startRemote(new NodeOptions().nodeId("remote").dataDir(remoteDir).grpc("127.0.0.1", 0).admin("127.0.0.1", 0), null);
  }

  /** Starts the remote node and its {@code replica} namespace; {@code admin} reaches its admin API (null: plain HTTP). */
  static void startRemote(NodeOptions options, java.util.function.IntFunction<AdminHttp> admin) {
    sink = new HttpSink(vertx()).start();
    remote = TestNodes.await(new Node(options).start());
    TestNodes.create(admin == null ? new AdminHttp(remote.adminPort()) : admin.apply(remote.adminPort()),
        TestNodes.namespace("replica", sink.url("/replica")).put("ordering", "per-key").put("max-payload-bytes", 64));
    proxy = TcpProxy.start(vertx(), "127.0.0.1", remote.grpcPort());
  }

  @AfterAll
  static void stopRemote() {
    proxy.close();
    TestNodes.await(remote.stop());
    sink.close();
  }

  @Override
  protected String type() {
    return "walmesh";
  }

  @Override
  protected JsonObject config() {
    return new JsonObject().put("endpoints", new JsonArray().add(proxy.address())).put("namespace", "replica")
        .put("timeout-ms", 10_000);
  }

  @Override
  protected Buffer write(String key, String value) {
    return Buffer.buffer(value);
  }

  @Override
  protected Optional<String> applied(String key) {
    return sink.lastDeliveredBody(key);
  }

  @Override
  protected Delivery refused() {
    return TargetTests.delivery(key("refused"), System.currentTimeMillis(), Buffer.buffer("x".repeat(100)));
  }

  @Override
  protected void stopServer() {
    proxy.stop();
  }

  @Override
  protected void startServer() {
    proxy.start();
  }

  /**
   * The remote stores every entry with its original write time and delivers a key's entries in the
   * order they reached it; versioning is left to the remote namespace's own targets.
   */
  @Override
  protected boolean versionsByWriteTime() {
    return false;
  }
}
