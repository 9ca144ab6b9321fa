package io.walmesh.node.cli;

import io.walmesh.node.EnvPlaceholders;
import io.walmesh.node.Node;
import io.walmesh.node.NodeOptions;
import io.walmesh.spi.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The commands that run a node in the foreground until SIGTERM or Ctrl-C. */
final class RunCommands {
  private RunCommands() {
  }

  @Command(name = "dev", mixinStandardHelpOptions = true,
      description = "Runs one node on the embedded default: local RocksDB log, file config store, loopback only, "
          + "and a 'demo' namespace whose deliveries are printed in the node's log.")
  static final class Dev implements java.util.concurrent.Callable<Integer> {
    @Option(names = "--data-dir", defaultValue = NodeOptions.DEFAULT_DATA_DIR, description = "Data directory (default: ${DEFAULT-VALUE}).")
    Path dataDir;
    @Option(names = "--grpc-port", defaultValue = "" + NodeOptions.DEFAULT_GRPC_PORT, description = "gRPC port on 127.0.0.1 (default: ${DEFAULT-VALUE}).")
    int grpcPort;
    @Option(names = "--admin-port", defaultValue = "" + NodeOptions.DEFAULT_ADMIN_PORT, description = "Admin HTTP port on 127.0.0.1 (default: ${DEFAULT-VALUE}).")
    int adminPort;

    @Override
    public Integer call() {
      return run(new NodeOptions().nodeId("dev").dataDir(dataDir).grpc(NodeOptions.DEFAULT_HOST, grpcPort)
          .admin(NodeOptions.DEFAULT_HOST, adminPort).demoNamespace(true));
    }
  }

  @Command(name = "start", mixinStandardHelpOptions = true,
      description = "Runs a node with a node config file (see cluster-config/node.example.json). $${NAME} and"
          + " $${NAME:-default} in it are filled from the environment.")
  static final class Start implements java.util.concurrent.Callable<Integer> {
    @Option(names = "--config", required = true, description = "Node config file (JSON).")
    Path config;

    @Override
    public Integer call() throws Exception {
      if (!Files.isReadable(config)) {
        System.err.println("error: cannot read node config " + config.toAbsolutePath());
        return 2;
      }
      NodeOptions options;
      try {
        options = NodeOptions.fromJson(EnvPlaceholders.expand(Files.readString(config), System.getenv()));
      } catch (ConfigException e) {
        System.err.println("error: bad node config " + config + ": " + e.getMessage());
        return 2;
      }
      return run(options);
    }
  }

  /** Starts the node, then blocks until the JVM is asked to stop, and stops the node gracefully. */
  static int run(NodeOptions options) {
    Node node = new Node(options);
    try {
      node.start().toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      System.err.println("error: the node failed to start: " + cause.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        node.stop().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      } catch (Exception e) {
        System.err.println("error while stopping: " + e.getMessage());
      } finally {
        stopped.countDown();
      }
    }, "walmesh-shutdown"));
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }
}
