package io.walmesh.node;

import static io.walmesh.node.TestNodes.await;

import io.vertx.core.Vertx;
import io.walmesh.node.gateway.GrpcWriteClient;
import io.walmesh.testkit.HttpSink;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * One node in this JVM for a whole test class, a real gRPC client and admin client to it, and a
 * fresh HTTP sink per test. Each test uses its own namespaces.
 */
abstract class SingleNodeTest {
  @TempDir
  static Path dataDir;
  static Node node;
  static Vertx clientVertx;
  static GrpcWriteClient grpc;
  static AdminHttp admin;
  /** Clients that are not ours (grpc-java, raw HTTP/2) to the node's gRPC port. */
  static GrpcPeers peers;
  /** Servers the node talks to, closed after the node stopped (so its namespaces close cleanly). */
  static final java.util.List<AutoCloseable> closeAfterNode = new java.util.ArrayList<>();
  HttpSink sink;

  @BeforeAll
  static void startNode() {
    clientVertx = Vertx.vertx();
    connect(TestNodes.start(dataDir));
  }

  private static void connect(Node started) {
    node = started;
    grpc = new GrpcWriteClient(clientVertx, "127.0.0.1", node.grpcPort());
    admin = new AdminHttp(node.adminPort());
    peers = new GrpcPeers(clientVertx, node.grpcPort());
  }

  /** Stops the node gracefully and starts a new one on the same data directory. */
  static void restartNode() {
    grpc.close();
    closePeers();
    await(node.stop());
    connect(TestNodes.start(dataDir));
  }

  private static void closePeers() {
    try {
      peers.close();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @AfterAll
  static void stopNode() throws Exception {
    grpc.close();
    closePeers();
    await(node.stop());
    await(clientVertx.close());
    for (AutoCloseable closeable : closeAfterNode) {
      closeable.close();
    }
    closeAfterNode.clear();
  }

  @BeforeEach
  void startSink() {
    sink = new HttpSink(clientVertx).start();
  }

  @AfterEach
  void stopSink() {
    sink.close();
  }
}
