package io.walmesh.node;

import static io.walmesh.node.TestNodes.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.node.cli.WalmeshCommand;
import io.walmesh.testkit.ChildProcess;
import io.walmesh.testkit.FreePorts;
import io.walmesh.testkit.HttpSink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The opt-in JSON log format, as an operator turns it on ({@code WALMESH_LOG_FORMAT=json}) for a
 * node in its own process: every line is one JSON object a log pipeline can read, with the node,
 * and the namespace and entry a line is about.
 */
class JsonLogsTest {
  @TempDir
  Path dir;

  @Test
  void everyLineIsJsonWithTheNodeAndTheNamespaceAndEntryItIsAbout() throws Exception {
    int grpcPort = FreePorts.next();
    int adminPort = FreePorts.next();
    Path config = dir.resolve("node.json");
    Files.writeString(config, TestNodes.childConfig("json-logs", dir.resolve("data"), grpcPort, adminPort).encode());
    Vertx vertx = Vertx.vertx();
    HttpSink sink = new HttpSink(vertx).start();
    sink.respond(r -> 400); // a permanent refusal: the entry goes to the DLQ at once, and the log says so
    ChildProcess node = ChildProcess.startJava(List.of(), WalmeshCommand.class.getName(),
        List.of("start", "--config", config.toString()), dir.resolve("node.log"), "-DWALMESH_LOG_FORMAT=json");
    AdminHttp admin = new AdminHttp(adminPort);
    GrpcPeers peers = new GrpcPeers(vertx, grpcPort);
    try {
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
          .until(() -> admin.get("/v1/health").status() == 200);
      TestNodes.create(admin, TestNodes.namespace("logged", sink.url("/refuses")));
      GrpcPeers.JavaAnswer written = peers.write(request("logged", "refused").build(), false);
      assertThat(written.code()).isEqualTo(Status.Code.OK);
      String entry = written.response().getEntryId();

      await().atMost(Duration.ofSeconds(20)).until(() -> line(node, l -> entry.equals(l.getString("entry"))).isPresent());
      JsonObject dead = line(node, l -> entry.equals(l.getString("entry"))).orElseThrow();
      assertThat(dead.getString("namespace")).isEqualTo("logged");
      assertThat(dead.getString("node")).isEqualTo("json-logs");
      assertThat(dead.getString("level")).isEqualTo("WARN");
      assertThat(dead.getString("message")).contains("goes to the DLQ");
      JsonObject running = line(node, l -> l.getString("message", "").startsWith("Namespace logged running")).orElseThrow();
      assertThat(running.getString("namespace")).isEqualTo("logged");
      assertThat(running.getString("time")).matches("\\d{4}-\\d{2}-\\d{2}T.*Z");
      for (String text : lines(node)) {
        assertThat(text).as("every line is one JSON object").startsWith("{");
        new JsonObject(text);
      }
    } finally {
      node.close();
      peers.close();
      sink.close();
      TestNodes.await(vertx.close());
    }
  }

  private static List<String> lines(ChildProcess node) {
    return node.output().lines().filter(l -> !l.isBlank()).toList();
  }

  private static Optional<JsonObject> line(ChildProcess node, java.util.function.Predicate<JsonObject> which) {
    return lines(node).stream().filter(l -> l.startsWith("{")).map(JsonObject::new).filter(which).findFirst();
  }
}
