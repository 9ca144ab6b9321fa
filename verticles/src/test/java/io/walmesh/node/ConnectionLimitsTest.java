package io.walmesh.node;

import static io.walmesh.node.TestNodes.await;
import static io.walmesh.node.TestNodes.create;
import static io.walmesh.node.TestNodes.namespace;
import static io.walmesh.node.TestNodes.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.vertx.core.Vertx;
import io.walmesh.node.internal.ListenerLimits;
import io.walmesh.protocol.v1.Trilean;
import io.walmesh.testkit.HttpSink;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #13 item 3: a flood of idle connections must not fill the node's file descriptors. Each
 * listener caps its connections and closes idle ones; once the flood is gone, writes and admin
 * calls work again, and writes acknowledged meanwhile are delivered.
 */
class ConnectionLimitsTest {
  private static final byte[] H2_PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] EMPTY_SETTINGS = {0, 0, 0, 4, 0, 0, 0, 0, 0};

  @TempDir
  Path dataDir;

  /** Opens a connection that speaks first (an HTTP/2 preface, or an HTTP/1 request line) and then goes quiet. */
  private static Socket idle(int port, boolean http2) throws IOException {
    Socket socket = new Socket("127.0.0.1", port);
    if (http2) {
      socket.getOutputStream().write(H2_PREFACE);
      socket.getOutputStream().write(EMPTY_SETTINGS);
    } else {
      socket.getOutputStream().write("GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    socket.getOutputStream().flush();
    return socket;
  }

  /** Whether the server closed the socket within the timeout (reads to end of stream). */
  private static boolean closedByServer(Socket socket, Duration within) throws IOException {
    socket.setSoTimeout((int) within.toMillis());
    InputStream in = socket.getInputStream();
    byte[] buffer = new byte[4096];
    long deadline = System.nanoTime() + within.toNanos();
    try {
      while (System.nanoTime() < deadline) {
        if (in.read(buffer) < 0) {
          return true;
        }
      }
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset
    }
    return false;
  }

  /** How many of {@code sockets} the server closed within the time (each read to end of stream, or reset). */
  private static int closedByServerWithin(List<Socket> sockets, Duration within) throws IOException {
    java.util.Set<Socket> closed = new java.util.HashSet<>();
    byte[] buffer = new byte[4096];
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      for (Socket socket : sockets) {
        if (closed.contains(socket)) {
          continue;
        }
        socket.setSoTimeout(5);
        try {
          if (socket.getInputStream().read(buffer) < 0) {
            closed.add(socket);
          }
        } catch (SocketTimeoutException stillOpen) {
          // nothing yet
        } catch (IOException reset) {
          closed.add(socket);
        }
      }
    }
    return closed.size();
  }

  @Test
  void connectionsAreCappedAndIdleOnesClosedThenTheNodeServesAgain() throws Exception {
    Vertx vertx = Vertx.vertx();
    HttpSink sink = new HttpSink(vertx).start();
    Node node = await(new Node(new NodeOptions().nodeId("limits").dataDir(dataDir).grpc("127.0.0.1", 0).admin("127.0.0.1", 0)
        .listenerLimits(new ListenerLimits(20, 6_000), new ListenerLimits(10, 1_500))).start());
    AdminHttp admin = new AdminHttp(node.adminPort());
    List<Socket> flood = new ArrayList<>();
    try (GrpcPeers peers = new GrpcPeers(vertx, node.grpcPort())) {
      create(admin, namespace("limits", sink.url("/apply")));
      GrpcPeers.JavaAnswer before = peers.write(request("limits", "before").build(), false);
      assertThat(before.response().getDurable()).isEqualTo(Trilean.SUCCESS);

      // grpc-java holds one connection; 30 more idle HTTP/2 connections: the 11 past the cap of 20 are closed at once,
      // well before the 6 s idle timeout. Which 11 depends on the order the gateway's event loops take them in (each
      // gateway instance has its own), so the test counts them.
      for (int i = 0; i < 30; i++) {
        flood.add(idle(node.grpcPort(), true));
      }
      assertThat(closedByServerWithin(flood, Duration.ofMillis(3_000))).as("connections past max-connections closed")
          .isEqualTo(11);
      // the idle ones are closed by the idle timeout, without any client action
      for (Socket socket : flood) {
        assertThat(closedByServer(socket, Duration.ofSeconds(10))).as("an idle connection is closed").isTrue();
      }
      // the admin listener too
      List<Socket> adminFlood = new ArrayList<>();
      for (int i = 0; i < 15; i++) {
        adminFlood.add(idle(node.adminPort(), false));
      }
      for (Socket socket : adminFlood) {
        assertThat(closedByServer(socket, Duration.ofSeconds(10))).isTrue();
        socket.close();
      }

      // after the flood: writes and admin calls work, and what was acknowledged is delivered
      await().atMost(Duration.ofSeconds(10)).until(() -> peers.write(request("limits", "after").build(), false).code() == Status.Code.OK);
      assertThat(admin.get("/v1/health").status()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(10)).until(() -> sink.deliveredIds().contains(before.response().getEntryId()));
    } finally {
      for (Socket socket : flood) {
        socket.close();
      }
      await(node.stop());
      sink.close();
      await(vertx.close());
    }
  }
  /**
   * With several gateway instances (grpc.instances: one per event loop), they share one port, every connection is
   * served, and max-connections counts the listener's connections across instances (counted per instance, three
   * instances would let twelve in).
   */
  @Test
  void gatewayInstancesShareThePortAndOneConnectionCap() throws Exception {
    Vertx vertx = Vertx.vertx();
    HttpSink sink = new HttpSink(vertx).start();
    Node node = await(new Node(new NodeOptions().nodeId("instances").dataDir(dataDir).grpc("127.0.0.1", 0)
        .admin("127.0.0.1", 0).grpcInstances(3).listenerLimits(new ListenerLimits(4, 60_000), new ListenerLimits(10, 60_000)))
        .start());
    List<GrpcPeers> clients = new ArrayList<>();
    List<String> acknowledged = new ArrayList<>();
    try {
      create(new AdminHttp(node.adminPort()), namespace("instances", sink.url("/apply")));
      for (int i = 0; i < 4; i++) { // grpc-java: one connection per channel, handed to the instances in turn
        GrpcPeers client = new GrpcPeers(vertx, node.grpcPort());
        clients.add(client);
        GrpcPeers.JavaAnswer answer = client.write(request("instances", "through connection " + i).build(), false);
        assertThat(answer.code()).as("connection %d", i).isEqualTo(Status.Code.OK);
        assertThat(answer.response().getDurable()).isEqualTo(Trilean.SUCCESS);
        acknowledged.add(answer.response().getEntryId());
      }
      try (Socket fifth = idle(node.grpcPort(), true)) {
        assertThat(closedByServer(fifth, Duration.ofMillis(3_000))).as("a fifth connection is past max-connections 4").isTrue();
      }
      // a connection closed frees its place for a new one
      clients.remove(0).close();
      GrpcPeers again = new GrpcPeers(vertx, node.grpcPort());
      clients.add(again);
      await().atMost(Duration.ofSeconds(10)).until(() -> again.write(request("instances", "again").build(), false).code()
          == Status.Code.OK);
      await().atMost(Duration.ofSeconds(10)).until(() -> sink.deliveredIds().containsAll(acknowledged));
    } finally {
      for (GrpcPeers client : clients) {
        client.close();
      }
      await(node.stop());
      sink.close();
      await(vertx.close());
    }
  }
}
