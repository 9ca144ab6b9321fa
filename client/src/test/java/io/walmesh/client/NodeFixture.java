package io.walmesh.client;

import static io.walmesh.client.TestNode.await;

import io.vertx.core.Vertx;
import io.walmesh.node.Node;
import io.walmesh.testkit.HttpSink;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A client Vert.x and an HTTP sink per test; the node and client a test starts are stopped after it. */
abstract class NodeFixture {
  @TempDir
  Path dataDir;
  Vertx clientVertx;
  HttpSink sink;
  Node node;
  WalmeshClient client;

  @BeforeEach
  void setUp() {
    clientVertx = Vertx.vertx();
    sink = new HttpSink(clientVertx).start();
  }

  @AfterEach
  void tearDown() {
    if (client != null) {
      await(client.close());
    }
    if (node != null) {
      await(node.stop());
    }
    sink.close();
    TestNode.close(clientVertx);
  }
}
