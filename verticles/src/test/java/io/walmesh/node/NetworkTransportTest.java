package io.walmesh.node;

import static io.walmesh.node.TestNodes.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import io.walmesh.node.gateway.GrpcWriteClient;
import io.walmesh.node.internal.NetworkTransport;
import io.walmesh.protocol.v1.Trilean;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node's sockets run on Netty's native epoll transport where the node ships it (Linux on x86-64 and ARM64), on
 * Java NIO elsewhere or when turned off, and take writes either way.
 */
class NetworkTransportTest {
  @TempDir
  Path dataDir;

  @AfterEach
  void clearProperty() {
    System.clearProperty(NetworkTransport.PROPERTY);
    System.clearProperty(NetworkTransport.EVENT_LOOPS);
  }

  @Test
  void aNodeOnLinuxRunsOnTheNativeTransportAndTakesWrites() {
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    boolean shipped = os.contains("linux") && Set.of("amd64", "x86_64", "aarch64").contains(System.getProperty("os.arch"));
    assertThat(startWriteAndStop("native")).as("native epoll on %s/%s", os, System.getProperty("os.arch"))
        .isEqualTo(shipped);
  }

  @Test
  void falseTurnsItOffAndTheNodeStillTakesWrites() {
    System.setProperty(NetworkTransport.PROPERTY, "false");
    assertThat(startWriteAndStop("nio")).isFalse();
  }

  @Test
  void aValueOtherThanTrueOrFalseStopsTheStartAndNamesTheProperty() {
    System.setProperty(NetworkTransport.PROPERTY, "epoll");
    Node node = new Node(new NodeOptions().nodeId("bad").dataDir(dataDir).grpc("127.0.0.1", 0).admin("127.0.0.1", 0));
    assertThatThrownBy(() -> await(node.start())).hasMessageContaining("-Dwalmesh.native-transport=epoll")
        .hasMessageContaining("use true").hasMessageContaining("or false");
  }

  @Test
  void aNodeOnOneEventLoopTakesWrites() {
    System.setProperty(NetworkTransport.EVENT_LOOPS, "1");
    startWriteAndStop("one-loop");
  }

  @Test
  void anEventLoopCountThatIsNotANumberFromOneTo1024StopsTheStartAndNamesTheProperty() {
    for (String bad : List.of("0", "-2", "two", "5000")) {
      System.setProperty(NetworkTransport.EVENT_LOOPS, bad);
      Node node = new Node(new NodeOptions().nodeId("bad-loops").dataDir(dataDir.resolve("l" + bad)).grpc("127.0.0.1", 0)
          .admin("127.0.0.1", 0));
      assertThatThrownBy(() -> await(node.start())).as(bad).hasMessageContaining("-Dwalmesh.event-loops=" + bad)
          .hasMessageContaining("from 1 to 1024");
    }
  }

  @Test
  void aTakenPortStopsTheStartWithAnErrorNamingTheListenerAndThePortOnEitherTransport() throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      for (String nativeTransport : List.of("true", "false")) {
        System.setProperty(NetworkTransport.PROPERTY, nativeTransport);
        Node grpcTaken = new Node(new NodeOptions().nodeId("grpc-" + nativeTransport).dataDir(dataDir.resolve("g" + nativeTransport))
            .grpc("127.0.0.1", port).admin("127.0.0.1", 0));
        assertThatThrownBy(() -> await(grpcTaken.start())).as("native transport %s", nativeTransport)
            .hasMessageContaining("gRPC port 127.0.0.1:" + port + " is already in use").hasMessageContaining("--grpc-port");
        Node adminTaken = new Node(new NodeOptions().nodeId("admin-" + nativeTransport).dataDir(dataDir.resolve("a" + nativeTransport))
            .grpc("127.0.0.1", 0).admin("127.0.0.1", port));
        assertThatThrownBy(() -> await(adminTaken.start())).as("native transport %s", nativeTransport)
            .hasMessageContaining("admin port 127.0.0.1:" + port + " is already in use").hasMessageContaining("--admin-port");
      }
    }
  }

  /** Starts a node, writes one entry through its gRPC port, stops it; whether it ran on the native transport. */
  private boolean startWriteAndStop(String nodeId) {
    Node node = TestNodes.start(dataDir, nodeId);
    Vertx client = Vertx.vertx();
    try (GrpcWriteClient grpc = new GrpcWriteClient(client, "127.0.0.1", node.grpcPort())) {
      // delayed an hour: nothing is delivered to the target's (closed) port while the test runs
      TestNodes.create(new AdminHttp(node.adminPort()), TestNodes.namespace("transport", "http://127.0.0.1:9/"));
      GrpcWriteClient.Result result = TestNodes.write(grpc, TestNodes.delayed("transport", "over " + nodeId, 3_600_000));
      assertThat(result.ok()).as(result.statusMessage()).isTrue();
      assertThat(result.response().getDurable()).isEqualTo(Trilean.SUCCESS);
      return node.vertx().isNativeTransportEnabled();
    } finally {
      await(node.stop());
      await(client.close());
    }
  }
}
