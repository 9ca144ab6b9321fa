package io.walmesh.node;

import static io.walmesh.node.TestNodes.create;
import static io.walmesh.node.TestNodes.namespace;
import static io.walmesh.node.TestNodes.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.walmesh.node.cli.WalmeshCommand;
import io.walmesh.node.runtime.StorageWatchdog;
import io.walmesh.protocol.v1.Trilean;
import io.walmesh.testkit.ChildProcess;
import io.walmesh.testkit.FreePorts;
import io.walmesh.testkit.HttpSink;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #13 item 3, as it was found: a node whose file descriptors run out (a flood of idle
 * connections, with the connection caps turned off here) while its log needs a new file. The log
 * must not stay broken behind a health of UP: writes are refused at once with UNAVAILABLE, health
 * says DOWN, and the node either writes again once descriptors are free or exits (status 75) for a
 * supervisor to restart it. After that, every entry acknowledged SUCCESS is delivered.
 */
class StorageFailureTest {
  private static final int OPEN_FILES = 1024;

  @TempDir
  Path dir;

  private static long openFiles(long pid) throws IOException {
    try (var files = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      return files.count();
    }
  }

  private static String tail(String output) {
    String[] lines = output.split("\n");
    return String.join("\n", java.util.Arrays.copyOfRange(lines, Math.max(0, lines.length - 60), lines.length));
  }

  private ChildProcess start(Path config, AdminHttp admin, boolean limited) {
    List<String> launcher = limited ? List.of("prlimit", "--nofile=" + OPEN_FILES + ":" + OPEN_FILES) : List.of();
    ChildProcess node = ChildProcess.startJava(launcher, WalmeshCommand.class.getName(),
        List.of("start", "--config", config.toString()), config.resolveSibling("node.log"));
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .until(() -> admin.get("/v1/health").status() == 200);
    return node;
  }

  @Test
  void aLogThatCannotWriteRefusesWritesSaysDownAndRecoversOrExitsWithoutLosingAcknowledgedEntries() throws Exception {
    int grpcPort = FreePorts.next();
    int adminPort = FreePorts.next();
    Path config = dir.resolve("node.json");
    JsonObject noCaps = new JsonObject().put("max-connections", 1_000_000).put("idle-timeout-ms", 0);
    Files.writeString(config, new JsonObject().put("node-id", "fds").put("data-dir", dir.resolve("data").toString())
        .put("grpc", noCaps.copy().put("port", grpcPort)).put("admin", noCaps.copy().put("port", adminPort))
        .put("storage-unavailable-exit-ms", 5_000).encode());
    Vertx vertx = Vertx.vertx();
    HttpSink sink = new HttpSink(vertx).start();
    AdminHttp admin = new AdminHttp(adminPort);
    ChildProcess node = start(config, admin, true);
    List<Socket> flood = new ArrayList<>();
    Set<String> acknowledged = new HashSet<>();
    GrpcPeers peers = new GrpcPeers(vertx, grpcPort);
    try {
      create(admin, namespace("fds", sink.url("/apply")).put("max-payload-bytes", 1 << 20));
      assertThat(peers.write(request("fds", "first").build(), false).code()).isEqualTo(Status.Code.OK);

      // Code paths run once before the flood: this test runs the node from class directories, where loading a
      // class needs a free file descriptor (an installed node loads from its jar, which stays open)
      assertThat(peers.write(request("no-such-namespace", "x").build(), false).code()).isEqualTo(Status.Code.NOT_FOUND);
      assertThat(peers.write(request("N".repeat(100), "x").build(), false).code()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(peers.write(request("fds", "x").setLifecycle(io.walmesh.protocol.v1.Lifecycle.newBuilder().setDelayMs(-1))
          .build(), false).code()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(admin.get("/v1/namespaces").status()).isEqualTo(200);

      // fill the node's file descriptors with idle connections
      while (openFiles(node.pid()) < OPEN_FILES - 2 && flood.size() < OPEN_FILES) {
        flood.add(new Socket("127.0.0.1", grpcPort));
        if (flood.size() % 50 == 0) {
          Thread.sleep(50); // let the node accept them
        }
      }
      // 1 MiB writes until the log needs a new file (a new write-ahead log when the 64 MB memtable is full)
      byte[] mib = new byte[1 << 20];
      Status.Code refusal = null;
      String refusalText = null;
      long refusedIn = -1;
      for (int i = 0; i < 400 && refusal != Status.Code.UNAVAILABLE; i++) {
        long started = System.nanoTime();
        GrpcPeers.JavaAnswer answer = peers.write(request("fds", "big-" + i).setPayload(ByteString.copyFrom(mib)).build(), false);
        if (answer.code() == Status.Code.OK && answer.response().getDurable() == Trilean.SUCCESS) {
          acknowledged.add(answer.response().getEntryId());
        } else {
          refusal = answer.code();
          refusalText = answer.code() + " " + answer.description() + " " + answer.response();
          refusedIn = (System.nanoTime() - started) / 1_000_000;
        }
      }
      assertThat(refusal).as("once the log cannot write, writes are refused with UNAVAILABLE; node log:\n" + node.output())
          .isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(refusedIn).as("refused at once, not after a timeout: " + refusalText + "; node log:\n" + tail(node.output()))
          .isLessThan(2_000);

      for (Socket socket : flood) {
        socket.close();
      }
      flood.clear();
      // with descriptors free again: either the log writes again (health UP), or the node gives up and exits 75
      int exit = node.waitForExit(Duration.ofSeconds(15));
      if (exit == -1) {
        AdminHttp.Response health = admin.get("/v1/health");
        assertThat(health.status()).as(health.text()).isIn(200, 503);
        await().atMost(Duration.ofSeconds(20)).until(() -> admin.get("/v1/health").status() == 200);
        assertThat(peers.write(request("fds", "after").build(), false).code()).isEqualTo(Status.Code.OK);
      } else {
        assertThat(exit).isEqualTo(StorageWatchdog.EXIT_STATUS);
        assertThat(node.output()).contains("Storage cannot write").contains("exiting with status 75");
        node.close();
        node = start(config, admin, false); // the supervisor's restart
        GrpcPeers.JavaAnswer after = peers.write(request("fds", "after").build(), false);
        assertThat(after.code()).isEqualTo(Status.Code.OK);
        acknowledged.add(after.response().getEntryId());
      }
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(sink.deliveredIds()).containsAll(acknowledged));
    } finally {
      Files.writeString(Path.of("target", "storage-failure-node.log"), node.output()); // for a failed run
      for (Socket socket : flood) {
        socket.close();
      }
      peers.close();
      node.stop();
      node.close();
      sink.close();
      vertx.close();
    }
  }
}
