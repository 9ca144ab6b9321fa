package io.walmesh.bench;

import io.vertx.core.json.JsonObject;
import io.walmesh.testkit.FreePorts;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A walmesh node started the way users start one, {@code ./walmesh start --config ...} (the launcher's JVM
 * settings), in its own process on loopback, with its log in the bench's work directory.
 */
final class NodeProcess implements AutoCloseable {
  private final Process process;
  private final int grpcPort;
  private final int adminPort;
  private final HttpClient http = HttpClient.newHttpClient();

  private NodeProcess(Process process, int grpcPort, int adminPort) {
    this.process = process;
    this.grpcPort = grpcPort;
    this.adminPort = adminPort;
  }

  /** Starts {@code ./walmesh start} from the repository the bench runs from and waits for its health check. */
  static NodeProcess start(Path work, String nodeId) throws Exception {
    return start(work, nodeId, "");
  }

  /** {@link #start(Path, String)} with extra JVM options for the node ({@code WALMESH_JAVA_OPTS}), e.g. a recording. */
  static NodeProcess start(Path work, String nodeId, String javaOptions) throws Exception {
    return start(work, nodeId, javaOptions, null);
  }

  /**
   * A member of a mesh on this machine: {@code cluster} is the node's {@code cluster} section (name, its own Hazelcast
   * port, the members' addresses), or null for a standalone node.
   */
  static NodeProcess start(Path work, String nodeId, String javaOptions, JsonObject cluster) throws Exception {
    return start(work, nodeId, javaOptions, cluster, Path.of(System.getProperty("walmesh.repo", ".")));
  }

  /** {@link #start(Path, String, String, JsonObject)} with the launcher of the checkout {@code repo}. */
  static NodeProcess start(Path work, String nodeId, String javaOptions, JsonObject cluster, Path repo) throws Exception {
    repo = repo.toAbsolutePath().normalize();
    Path launcher = repo.resolve("walmesh");
    if (!Files.isExecutable(launcher)) {
      throw new IllegalStateException("the bench starts the node with " + launcher + ", which is not there; run"
          + " bench/run from the repository");
    }
    int grpcPort = FreePorts.next();
    int adminPort = FreePorts.next();
    Path config = work.resolve(nodeId + ".json");
    JsonObject nodeConfig = new JsonObject().put("node-id", nodeId).put("data-dir", work.resolve(nodeId).toString())
        .put("grpc", new JsonObject().put("host", "127.0.0.1").put("port", grpcPort))
        .put("admin", new JsonObject().put("host", "127.0.0.1").put("port", adminPort));
    if (cluster != null) {
      nodeConfig.put("cluster", cluster);
    }
    Files.writeString(config, nodeConfig.encodePrettily());
    ProcessBuilder builder = new ProcessBuilder(List.of(launcher.toString(), "start", "--config", config.toString()))
        .redirectErrorStream(true).redirectOutput(work.resolve(nodeId + ".log").toFile());
    builder.environment().put("WALMESH_LOG_LEVEL", "WARN");
    if (!javaOptions.isEmpty()) {
      builder.environment().merge("WALMESH_JAVA_OPTS", javaOptions, (mine, extra) -> mine + " " + extra);
    }
    NodeProcess node = new NodeProcess(builder.start(), grpcPort, adminPort);
    try {
      node.waitUp(work.resolve(nodeId + ".log"));
    } catch (Exception e) {
      node.close();
      throw e;
    }
    return node;
  }

  int grpcPort() {
    return grpcPort;
  }

  long pid() {
    return process.pid();
  }

  String commandLine() {
    return ProcessHandle.of(process.pid()).flatMap(p -> p.info().commandLine()).orElse("?");
  }

  /** Creates a namespace through the admin API; fails with the node's answer when it is refused. */
  void createNamespace(JsonObject namespace) throws Exception {
    HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(admin() + "/v1/namespaces"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(namespace.encode()))
        .build(), HttpResponse.BodyHandlers.ofString());
    if (created.statusCode() != 201) {
      throw new IllegalStateException("creating namespace " + namespace.getString("name") + ": " + created.statusCode()
          + " " + created.body());
    }
  }

  /** Deletes a namespace with whatever it holds ({@code ?force=true}). */
  void deleteNamespace(String name) throws Exception {
    HttpResponse<String> deleted = http.send(HttpRequest.newBuilder(URI.create(admin() + "/v1/namespaces/" + name
        + "?force=true")).DELETE().build(), HttpResponse.BodyHandlers.ofString());
    if (deleted.statusCode() != 200) {
      throw new IllegalStateException("deleting namespace " + name + ": " + deleted.statusCode() + " " + deleted.body());
    }
  }

  private String admin() {
    return "http://127.0.0.1:" + adminPort;
  }

  private void waitUp(Path log) throws Exception {
    long until = System.currentTimeMillis() + 300_000; // the first ./walmesh run may build the node
    while (System.currentTimeMillis() < until) {
      if (!process.isAlive()) {
        throw new IllegalStateException("the node exited with " + process.exitValue() + "; see " + log);
      }
      try {
        if (http.send(HttpRequest.newBuilder(URI.create(admin() + "/v1/health")).timeout(Duration.ofSeconds(2)).build(),
            HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
          return;
        }
      } catch (java.io.IOException notYet) {
        // not listening yet
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException("the node did not answer /v1/health in 5 minutes; see " + log);
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}
