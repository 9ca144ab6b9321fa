package io.walmesh.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Vertx;
import io.walmesh.node.cli.WalmeshCommand;
import io.walmesh.testkit.HttpSink;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The CLI's answers to a user who gets things wrong (help, bad config, no node running), and writes through it. */
class CliTest {
  @TempDir
  Path dir;

  private record Run(int exit, String out, String err) {
  }

  private Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    System.setOut(new PrintStream(out, true));
    System.setErr(new PrintStream(err, true));
    try {
      int exit = new CommandLine(new WalmeshCommand()).execute(args);
      return new Run(exit, out.toString(), err.toString());
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  @Test
  void everyCommandHasHelp() {
    assertThat(run("--help").out()).contains("dev", "start", "namespaces", "dlq", "write", "health", "cluster");
    assertThat(run("cluster", "--help").out()).contains("shard", "generation", "--admin");
    assertThat(run("dev", "--help").out()).contains("--data-dir", "--grpc-port", "--admin-port");
    assertThat(run("dlq", "replay", "--help").out()).contains("--id", "--admin");
    assertThat(run("namespaces", "create", "--help").out()).contains("--file");
    assertThat(run("--help").out()).contains("plugins", "replay");
    assertThat(run("plugins", "install", "--help").out()).contains("JAR", "upgrades");
    assertThat(run("plugins", "remove", "--help").out()).contains("--force");
    assertThat(run("replay", "--help").out()).contains("--from", "--to", "--exclude", "--target", "retention-ms");
  }

  @Test
  void aBadNodeConfigIsRefusedWithTheFieldNamed() throws Exception {
    Path config = dir.resolve("node.json");
    Files.writeString(config, "{\"grpc\": {\"port\": 70000}}");
    Run result = run("start", "--config", config.toString());
    assertThat(result.exit()).isEqualTo(2);
    assertThat(result.err()).contains("grpc.port: must be between 0 and 65535");

    Files.writeString(config, "{\"cluster\": {\"name\": \"m\"}}");
    Run noDiscovery = run("start", "--config", config.toString());
    assertThat(noDiscovery.exit()).isEqualTo(2);
    assertThat(noDiscovery.err()).contains("cluster.members: choose exactly one discovery");

    Files.writeString(config, "{\"cluster\": {\"members\": [\"127.0.0.1\"], \"roles\": [\"gateway\", \"janitor\"]}}");
    Run badRole = run("start", "--config", config.toString());
    assertThat(badRole.err()).contains("cluster.roles: unknown role \"janitor\"");

    Run missing = run("start", "--config", dir.resolve("absent.json").toString());
    assertThat(missing.exit()).isEqualTo(2);
    assertThat(missing.err()).contains("cannot read node config");
  }

  @Test
  void writeSetsTheWriteTimeAndTheDueTimeAndPluginInstallNamesTheUsersJar() throws Exception {
    Vertx vertx = Vertx.vertx();
    HttpSink sink = new HttpSink(vertx).start();
    Node node = TestNodes.start(dir.resolve("data"));
    try {
      TestNodes.create(new AdminHttp(node.adminPort()), TestNodes.namespace("cli", sink.url("/apply")));
      String grpc = "127.0.0.1:" + node.grpcPort();

      // a mutation that happened an hour ago keeps its own clock: the target sees that write time
      long writeTime = System.currentTimeMillis() - 3_600_000;
      Run old = run("write", "cli", "--payload", "an hour ago", "--key", "k1", "--write-time-ms", String.valueOf(writeTime),
          "--grpc", grpc);
      assertThat(old.exit()).as(old.err()).isZero();
      assertThat(old.out()).contains("durable: SUCCESS");
      HttpSink.Received delivered = await().atMost(Duration.ofSeconds(20))
          .until(() -> sink.delivered().stream().filter(r -> r.body().equals("an hour ago")).findFirst(), Optional::isPresent)
          .orElseThrow();
      assertThat(delivered.writeTimeMs()).isEqualTo(writeTime);
      assertThat(delivered.key()).isEqualTo("k1");

      // --deliver-at-ms: not delivered before that instant
      long deliverAt = System.currentTimeMillis() + 1_500;
      Run later = run("write", "cli", "--payload", "at an instant", "--deliver-at-ms", String.valueOf(deliverAt), "--grpc", grpc);
      assertThat(later.exit()).as(later.err()).isZero();
      HttpSink.Received due = await().atMost(Duration.ofSeconds(20))
          .until(() -> sink.delivered().stream().filter(r -> r.body().equals("at an instant")).findFirst(), Optional::isPresent)
          .orElseThrow();
      assertThat(due.receivedAtMs()).isGreaterThanOrEqualTo(deliverAt);

      // refused by the CLI as the node would refuse them, named by the CLI's options
      Run both = run("write", "cli", "--payload", "x", "--delay-ms", "1000", "--deliver-at-ms", String.valueOf(deliverAt),
          "--grpc", grpc);
      assertThat(both.exit()).isEqualTo(2);
      assertThat(both.err()).contains("set --delay-ms or --deliver-at-ms, not both");
      Run negative = run("write", "cli", "--payload", "x", "--write-time-ms", "-5", "--grpc", grpc);
      assertThat(negative.exit()).isEqualTo(2);
      assertThat(negative.err()).contains("--write-time-ms must not be negative");
      // how far ahead a write time may be is the node's call, and its message comes through
      Run future = run("write", "cli", "--payload", "x", "--write-time-ms", String.valueOf(System.currentTimeMillis() + 3_600_000),
          "--grpc", grpc);
      assertThat(future.exit()).isEqualTo(1);
      assertThat(future.err()).contains("INVALID_ARGUMENT").contains("ahead of this node's clock");
      assertThat(run("write", "--help").out()).contains("--write-time-ms", "--deliver-at-ms", "epoch ms");

      // an update made only at the version read: refused once someone else changed the namespace
      String admin = "http://127.0.0.1:" + node.adminPort();
      Run got = run("namespaces", "get", "cli", "--admin", admin);
      assertThat(got.exit()).as(got.err()).isZero();
      io.vertx.core.json.JsonObject read = new io.vertx.core.json.JsonObject(got.out());
      Path edited = Files.writeString(dir.resolve("cli.json"), read.getJsonObject("config").copy()
          .put("dedupe-window-ms", 60_000).encode());
      Run first = run("namespaces", "update", "cli", "-f", edited.toString(), "--if-version", read.getString("version"),
          "--admin", admin);
      assertThat(first.exit()).as(first.err()).isZero();
      Run stale = run("namespaces", "update", "cli", "-f", edited.toString(), "--if-version", read.getString("version"),
          "--admin", admin);
      assertThat(stale.exit()).isEqualTo(1);
      assertThat(stale.err()).contains("error (412)").contains("was changed since that version was read");
      assertThat(run("namespaces", "update", "--help").out()).contains("--if-version");

      // a broken jar: the error names the user's file, not the node's temporary upload file
      Path broken = Files.write(dir.resolve("my-broken-plugin.jar"), "not a zip".getBytes(StandardCharsets.UTF_8));
      Run install = run("plugins", "install", broken.toString(), "--admin", "http://127.0.0.1:" + node.adminPort());
      assertThat(install.exit()).isEqualTo(1);
      assertThat(install.err()).contains("error (400): plugin jar my-broken-plugin.jar: is not a readable jar")
          .doesNotContain("plugin-upload-").doesNotContain(".tmp");
    } finally {
      TestNodes.await(node.stop());
      sink.close();
      TestNodes.await(vertx.close());
    }
  }

  @Test
  void talkingToNoNodeSaysHowToStartOne() {
    Run result = run("namespaces", "list", "--admin", "http://127.0.0.1:" + io.walmesh.testkit.FreePorts.next());
    assertThat(result.exit()).isEqualTo(3);
    assertThat(result.err()).contains("no walmesh node answers").contains("walmesh dev");
  }
}
