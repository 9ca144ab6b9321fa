package io.walmesh.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.walmesh.node.cli.WalmeshCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The CLI's answers to a user who gets things wrong: help, bad config, no node running. */
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
  void talkingToNoNodeSaysHowToStartOne() {
    Run result = run("namespaces", "list", "--admin", "http://127.0.0.1:" + io.walmesh.testkit.FreePorts.next());
    assertThat(result.exit()).isEqualTo(3);
    assertThat(result.err()).contains("no walmesh node answers").contains("walmesh dev");
  }
}
