package io.walmesh.node;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.walmesh.node.admin.AdminVerticle;
import io.walmesh.node.mesh.ClusterOptions;
import io.walmesh.node.cluster.ClusterState;
import io.walmesh.node.cluster.SingleNode;
import io.walmesh.node.mesh.Mesh;
import io.walmesh.node.gateway.GatewayVerticle;
import io.walmesh.node.runtime.StorageWatchdog;
import io.walmesh.node.tls.TlsOptions;
import io.walmesh.node.gateway.RequestBudget;
import io.walmesh.node.metrics.Metrics;
import io.walmesh.node.namespace.NamespaceStore;
import io.walmesh.node.plugin.PluginManager;
import io.walmesh.node.plugin.PluginRegistry;
import io.walmesh.node.runtime.NamespaceManager;
import io.walmesh.protocol.ProtobufCodec;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One walmesh node. {@link #start()} opens the plugins, loads and starts the stored namespaces,
 * then opens the gRPC gateway and the admin API; it completes only when the node takes writes.
 * {@link #stop()} stops taking writes, drains in-flight work and closes the log.
 */
public final class Node {
  private static final Logger log = LoggerFactory.getLogger(Node.class);
  /** The demo namespace's deliveries go to this event-bus address, where the node logs them. */
  public static final String DEMO_ADDRESS = "walmesh.demo.deliveries";
  private static final long RECONCILE_EVERY_MS = 15_000;

  private final NodeOptions options;
  private Vertx vertx;
  private ClusterState cluster;
  /** The producers running here: this node's gateway writes to them without the event bus. */
  private final io.walmesh.node.producer.LocalProducers producers = new io.walmesh.node.producer.LocalProducers();
  private final Metrics metrics;
  private PluginRegistry plugins;
  private PluginManager pluginManager;
  private NamespaceManager namespaces;
  private GatewayVerticle gateway;
  /** Every instance of the gateway, {@link #gateway} first: one per event loop, up to {@code grpc.instances}. */
  private final java.util.List<GatewayVerticle> gateways = new java.util.ArrayList<>();
  private AdminVerticle admin;
  private StorageWatchdog watchdog;
  private final io.walmesh.node.auth.Authorizer authorizer;
  /** The exporter of the {@code tracing} section, flushed and closed when the node stops; null when off. */
  private io.opentelemetry.sdk.OpenTelemetrySdk tracingSdk;

  public Node(NodeOptions options) {
    this.options = options;
    this.metrics = new Metrics(options.maxNamespaceSeries());
    if (options.openTelemetry() != null) {
      metrics.tracing(io.walmesh.node.tracing.Tracing.with(options.openTelemetry()));
    } else if (options.tracing() != null) {
      tracingSdk = options.tracing().sdk(options.nodeId());
      metrics.tracing(io.walmesh.node.tracing.Tracing.with(tracingSdk));
      log.info("Tracing on: spans to {} (sample ratio {})", options.tracing().otlpEndpoint(), options.tracing().sampleRatio());
    }
    this.authorizer = options.auth() == null ? io.walmesh.node.auth.Authorizer.OPEN : new io.walmesh.node.auth.Authorizer(options.auth());
  }

  /**
   * Where the node's shared state lives: a mesh of one on a standalone node, the Hazelcast mesh
   * when {@code cluster} is set. The only place that tells the two apart.
   */
  private Future<Vertx> createVertx() {
    Future<ClusterState> joined = options.cluster() == null
        ? Future.succeededFuture(new SingleNode(Vertx.vertx(io.walmesh.node.internal.NetworkTransport.options()), options.nodeId()))
        : Mesh.join(options.nodeId(), options.cluster()).map(mesh -> mesh);
    return joined.map(state -> {
      cluster = state;
      return state.vertx();
    });
  }

  public Future<Node> start() {
    io.walmesh.node.logging.JsonLines.node(options.nodeId());
    try {
      checkExposure(options);
      io.walmesh.node.internal.NetworkTransport.preferred();
      io.walmesh.node.internal.NetworkTransport.eventLoops();
    } catch (IllegalStateException e) {
      log.error("walmesh node {} refuses to start: {}", options.nodeId(), e.getMessage());
      return Future.failedFuture(e);
    }
    // Completed outside any Vert.x context: a failed start closes Vert.x, whose contexts then run nothing.
    CompletableFuture<Node> result = new CompletableFuture<>();
    createVertx().onFailure(e -> {
      log.error("walmesh node {} failed to start: {}", options.nodeId(), e.getMessage(), e);
      result.completeExceptionally(e);
    }).onSuccess(created -> {
      vertx = created;
      io.walmesh.node.internal.NetworkTransport.report(vertx);
      ProtobufCodec.registerWriteCodecs(vertx.eventBus());
      startOn(result);
    });
    return Future.fromCompletionStage(result);
  }

  /**
   * Secure by default: a gRPC or admin listener beyond loopback needs {@code tls} and {@code auth},
   * and a mesh beyond loopback needs {@code cluster.secret-path} and {@code cluster.tls}; otherwise
   * the node refuses to start unless the config says {@code "insecure": true}, and then warns at
   * every start.
   */
  static void checkExposure(NodeOptions options) {
    List<String> exposed = new java.util.ArrayList<>();
    List<String> risks = new java.util.ArrayList<>();
    boolean secured = options.tls() != null && options.auth() != null; // TLS and caller identities: fine beyond loopback
    if (!io.walmesh.node.internal.Loopback.is(options.grpcHost()) && !secured) {
      exposed.add("grpc.host " + options.grpcHost());
    }
    if (!io.walmesh.node.internal.Loopback.is(options.adminHost()) && !secured) {
      exposed.add("admin.host " + options.adminHost());
    }
    if (!exposed.isEmpty()) {
      risks.add("without \"tls\" and \"auth\", anyone who reaches the gRPC and admin ports can write to any namespace"
          + " and use the admin API, which installs plugins (code) in the node");
    }
    ClusterOptions cluster = options.cluster();
    if (cluster != null && !io.walmesh.node.internal.Loopback.is(cluster.host())
        && (cluster.secret() == null || cluster.tls() == null)) {
      exposed.add("cluster.host " + cluster.host());
      risks.add("without \"cluster.secret-path\" and \"cluster.tls\", any process that reaches the mesh with the"
          + " cluster name joins it, reads every namespace with its secrets, changes them, ships plugins to every node"
          + " and answers writes on the event bus");
    }
    if (exposed.isEmpty()) {
      log.info("walmesh listens on loopback only: other hosts cannot reach this node");
      return;
    }
    String risk = String.join("; and ", risks) + " (docs/security.md)";
    if (!options.insecure()) {
      throw new IllegalStateException(String.join(", ", exposed) + " is not a loopback address, and " + risk
          + ". Listen on 127.0.0.1, or set \"insecure\": true in the node config to accept this behind a firewall"
          + " or network policy that only trusted hosts pass");
    }
    log.warn("INSECURE: {} beyond loopback with \"insecure\": true; {}. Only trusted hosts may reach them.",
        String.join(", ", exposed), risk);
  }

  private void startOn(CompletableFuture<Node> result) {
    plugins = new PluginRegistry(vertx, options.dataDir(), options.nodeId(), options.destinations())
        .secrets(options.secretReferences());
    vertx.executeBlocking(() -> {
          Files.createDirectories(options.dataDir());
          return new NamespaceStore(options.dataDir().resolve("namespaces"));
        })
        .compose(store -> plugins.start().map(store))
        .compose(store -> {
          // hot-loaded plugins first: stored namespaces may use their target types
          pluginManager = new PluginManager(vertx, plugins, options.dataDir(), options.pluginScanIntervalMs());
          pluginManager.limits(options.pluginLimits()).allowedSha256(options.allowedPluginSha256());
          return pluginManager.start()
              .compose(v -> pluginManager.joinMesh(cluster, vertx.getOrCreateContext()))
              .map(store);
        })
        .compose(store -> {
          namespaces = new NamespaceManager(vertx, plugins, store, metrics, cluster, producers);
          pluginManager.attach(namespaces);
          return namespaces.loadAll();
        })
        .compose(v -> {
          cluster.listen(vertx.getOrCreateContext(), namespaces::applyRemote, namespaces::reconcile, plugins::nodeLocal);
          // also now and then: a namespace that failed to start here is tried again
          vertx.setPeriodic(RECONCILE_EVERY_MS, id -> namespaces.reconcile());
          return namespaces.reconcile();
        })
        .compose(v -> {
          watchdog = new StorageWatchdog(vertx, namespaces::storageUnavailable, options.storageUnavailableExitMs(),
              Node::exitProcess).start();
          return options.demoNamespace() ? ensureDemoNamespace() : Future.succeededFuture();
        })
        .compose(v -> {
          if (!cluster.hasRole(ClusterOptions.GATEWAY)) {
            return Future.succeededFuture();
          }
          return deployGateways(3);
        })
        .compose(v -> {
          admin = new AdminVerticle(options.adminHost(), options.adminPort(), options.nodeId(), namespaces, metrics, cluster,
              pluginManager)
              .limits(options.adminLimits())
              .tls(options.tls())
              .authorizer(authorizer)
              .maxConcurrentUploads(options.maxConcurrentUploads());
          return vertx.deployVerticle(admin).recover(failure -> Future.failedFuture(
              io.walmesh.node.internal.NetworkTransport.addressInUse(failure) ? portInUse("admin", options.adminHost(),
                  options.adminPort(), "--admin-port N, or admin.port", failure) : failure));
        })
        .compose(v -> cluster.publishNode(new JsonObject()
            .put("admin", options.adminHost() + ":" + adminPort())
            .put("grpc", gateway == null ? null : options.grpcHost() + ":" + grpcPort())))
        .map(v -> {
          watchTlsFiles();
          log.info("walmesh node {} ready: gRPC {}, admin http://{}:{}/v1/, data in {}{}", options.nodeId(),
              gateway == null ? "off (no gateway role)" : options.grpcHost() + ":" + grpcPort(), options.adminHost(),
              adminPort(), options.dataDir().toAbsolutePath(), cluster.name() == null ? "" : ", mesh " + cluster.name());
          return this;
        })
        .onSuccess(result::complete)
        .onFailure(e -> {
          log.error("walmesh node {} failed to start: {}", options.nodeId(), e.getMessage(), e);
          stop().onComplete(ignored -> result.completeExceptionally(e));
        });
  }

  private Future<Void> ensureDemoNamespace() {
    vertx.eventBus().<Buffer>consumer(DEMO_ADDRESS, message -> {
      log.info("demo delivery: entry {} key '{}' attempt {}: {}", message.headers().get("walmesh-entry-id"),
          message.headers().get("walmesh-key"), message.headers().get("walmesh-attempt"), message.body().toString());
      message.reply(null);
    });
    if (namespaces.exists("demo")) {
      return Future.succeededFuture();
    }
    JsonObject demo = new JsonObject()
        .put("name", "demo")
        .put("backend", new JsonObject().put("type", io.walmesh.node.namespace.NamespaceConfig.DEFAULT_BACKEND_TYPE))
        .put("targets", new JsonArray().add(new JsonObject().put("name", "log").put("type", "eventbus")
            .put("config", new JsonObject().put("address", DEMO_ADDRESS))))
        .put("ordering", "per-key")
        .put("retry", new JsonObject().put("max-attempts", 5).put("initial-backoff-ms", 500));
    return namespaces.create(demo).mapEmpty();
  }

  /** The gRPC port; -1 when this node plays no gateway role. */
  public int grpcPort() {
    return gateway == null ? -1 : gateway.actualPort();
  }

  /** Where this node's shared state lives: the mesh it joined, or a mesh of one. */
  public ClusterState cluster() {
    return cluster;
  }

  public int adminPort() {
    return admin.actualPort();
  }

  public Vertx vertx() {
    return vertx;
  }

  public NamespaceManager namespaces() {
    return namespaces;
  }

  public PluginRegistry plugins() {
    return plugins;
  }

  /** The hot-loaded plugins. */
  public PluginManager pluginManager() {
    return pluginManager;
  }

  /** Reloads the listeners' certificates when their files change (certificate rotation without a restart). */
  private void watchTlsFiles() {
    TlsOptions tls = options.tls();
    if (tls == null || tls.reloadIntervalMs() == 0) {
      return;
    }
    String[] version = {tls.filesVersion()};
    vertx.setPeriodic(tls.reloadIntervalMs(), id -> {
      String now = tls.filesVersion();
      if (now.equals(version[0])) {
        return;
      }
      version[0] = now;
      List<Future<Boolean>> reloads = new java.util.ArrayList<>();
      gateways.forEach(g -> reloads.add(g.reloadTls()));
      reloads.add(admin.reloadTls());
      Future.join(reloads)
          .onSuccess(v -> log.info("TLS certificates reloaded from {}", tls.certPath()))
          .onFailure(e -> log.error("TLS certificates in {} could not be reloaded; the listeners keep the previous ones: {}",
              tls.certPath(), e.getMessage()));
    });
  }

  /**
   * The port every gateway instance listens on. Vert.x shares a port among listeners that ask for the same one, but
   * each listener on port 0 gets a port of its own: with several instances and port 0, the node picks a free port
   * first.
   */
  private int gatewayPort() {
    if (options.grpcPort() != 0 || options.grpcInstances() == 1) {
      return options.grpcPort();
    }
    try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(options.grpcHost()))) {
      return probe.getLocalPort();
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot find a free port on " + options.grpcHost() + " for gRPC: " + e.getMessage(), e);
    }
  }

  /**
   * Deploys the gateway as one deployment of {@code instances} instances on one port, and checks that they do
   * share it: a client must reach every instance through the address the node announces.
   */
  private Future<String> deployGateways(int attempts) {
    gateways.clear();
    gateway = new GatewayVerticle(options.grpcHost(), gatewayPort(), namespaces::exists, metrics,
        options.grpcLimits(), new RequestBudget(options.maxRequestBytesInFlight())).tls(options.tls()).authorizer(authorizer)
        .whyUnavailable(namespaces::whyUnavailable)
        .localProducers(producers)
        .health(() -> namespaces.storageUnavailable().isEmpty(),
            name -> namespaces.status(name).map(status -> status.state().healthy()))
        .busApiForTheMesh(cluster.eventBusApi());
    return deployGateways(gateway, options.grpcInstances()).recover(failure -> {
      boolean portTaken = io.walmesh.node.internal.NetworkTransport.addressInUse(failure);
      if (options.grpcPort() == 0 && options.grpcInstances() > 1 && portTaken && attempts > 1) {
        // the free port picked for port 0 was taken before the gateway bound it: pick another
        log.info("gRPC port {} was taken before the gateway bound it; picking another", gateway.port());
        return deployGateways(attempts - 1);
      }
      return Future.failedFuture(portTaken ? portInUse("gRPC", options.grpcHost(), gateway.port(), "--grpc-port N, or grpc.port",
          failure) : failure);
    });
  }

  /** A listener's port is taken: which listener, which address, and what to do, rather than the socket's errno. */
  private static IllegalStateException portInUse(String listener, String host, int port, String setting, Throwable cause) {
    return new IllegalStateException(listener + " port " + host + ":" + port + " is already in use (another walmesh node"
        + " or another program listens on it): stop that, or give this node another port (" + setting
        + " in the node config)", cause);
  }

  private Future<String> deployGateways(GatewayVerticle first, int instances) {
    return vertx.deployVerticle(() -> {
      GatewayVerticle instance = gateways.isEmpty() ? first : first.sibling();
      gateways.add(instance);
      return instance;
    }, new io.vertx.core.DeploymentOptions().setInstances(instances)).compose(id -> {
      java.util.Set<Integer> ports = new java.util.TreeSet<>();
      gateways.forEach(g -> ports.add(g.actualPort()));
      return ports.size() == 1 ? Future.succeededFuture(id) : Future.failedFuture(new IllegalStateException(
          "the " + instances + " gRPC gateway instances listen on ports " + ports + " instead of one port"));
    });
  }

  /** Exits the JVM (shutdown hooks run), and halts it if they have not finished within 20 s. */
  private static void exitProcess(int status) {
    Thread halt = new Thread(() -> {
      try {
        Thread.sleep(20_000);
      } catch (InterruptedException ignored) {
        // exiting anyway
      }
      Runtime.getRuntime().halt(status);
    }, "walmesh-exit-halt");
    halt.setDaemon(true);
    halt.start();
    new Thread(() -> System.exit(status), "walmesh-exit").start();
  }

  /** Stops taking writes, drains in-flight work, closes the log and Vert.x. */
  public Future<Void> stop() {
    if (watchdog != null) {
      watchdog.stop();
    }
    return Future.<Void>succeededFuture()
        .transform(v -> gateway == null || gateway.deploymentID() == null ? Future.succeededFuture()
            : undeploy(gateway.deploymentID()))
        .transform(v -> admin == null ? Future.succeededFuture() : undeploy(admin.deploymentID()))
        .transform(v -> namespaces == null ? Future.succeededFuture() : namespaces.stopAll())
        .transform(v -> pluginManager == null ? Future.succeededFuture() : pluginManager.close())
        .transform(v -> plugins == null ? Future.succeededFuture() : plugins.close())
        .transform(v -> closeVertx())
        .andThen(v -> {
          if (tracingSdk != null) {
            tracingSdk.close();
          }
        })
        .onComplete(v -> log.info("walmesh node {} stopped", options.nodeId()));
  }

  /**
   * Closes Vert.x (leaving the mesh first) from a thread outside it: the answer must not wait for a
   * context of the Vert.x being closed, which a clustered Vert.x shuts before it answers.
   */
  private Future<Void> closeVertx() {
    if (vertx == null) {
      return Future.succeededFuture();
    }
    CompletableFuture<Void> closed = new CompletableFuture<>();
    java.util.concurrent.ForkJoinPool.commonPool().execute(() -> cluster.leave()
        .onComplete(ar -> closed.complete(null)));
    return Future.fromCompletionStage(closed);
  }

  private Future<Void> undeploy(String id) {
    return id == null || !vertx.deploymentIDs().contains(id) ? Future.succeededFuture() : vertx.undeploy(id);
  }
}
