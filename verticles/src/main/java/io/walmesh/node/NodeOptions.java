package io.walmesh.node;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.walmesh.node.admin.AdminVerticle;
import io.walmesh.node.gateway.RequestBudget;
import io.walmesh.node.metrics.Metrics;
import io.walmesh.node.plugin.PluginLimits;
import io.walmesh.node.internal.ListenerLimits;
import io.walmesh.node.mesh.ClusterOptions;
import io.walmesh.spi.DestinationPolicy;
import io.walmesh.spi.config.ConfigException;
import io.walmesh.spi.config.ConfigReader;
import java.nio.file.Path;
import java.util.Set;
import java.util.UUID;

/**
 * A node's configuration (the file given to {@code walmesh start --config}). Every field is optional:
 * <pre>
 * {
 *   "node-id": "node-1",                               default: a random id
 *   "data-dir": "./walmesh-data",                      entries, namespaces, plugin data
 *   "grpc":  {"host": "127.0.0.1", "port": 9090,      also "max-connections" (4096), "idle-timeout-ms" (300000),
 *             "max-request-bytes-in-flight" (256 MiB or a quarter of the heap)}
 *   "admin": {"host": "127.0.0.1", "port": 8080},     also "max-connections" (256), "idle-timeout-ms" (60000),
 *             "max-concurrent-uploads" (2)}
 *   "secrets": {"dir": "<data-dir>/secrets", "env-prefix": "WALMESH_SECRET_"}   where ${file:..} and ${env:..} resolve
 *   "auth": {...},                                     caller identities and permissions; see {@link io.walmesh.node.auth.AuthOptions}
 *   "tls": {...},                                      TLS on gRPC and admin; see {@link io.walmesh.node.tls.TlsOptions}
 *   "insecure": false,                                 true: allow non-loopback hosts without TLS/auth (warned)
 *   "storage-unavailable-exit-ms": 60000,              exit (status 75) when storage cannot write this long; 0: never
 *   "metrics": {"max-namespace-series": 200},
 *   "plugins": {"max-jar-bytes": 268435456, "max-unpacked-bytes": 1073741824, "max-entry-bytes": 268435456,
 *               "max-entries": 100000, "max-mesh-jar-bytes": 16777216},
 *   "demo-namespace": false,                           create the "demo" namespace when absent
 *   "cluster": {...},                                  join a mesh; see {@link ClusterOptions}
 *   "targets": {"deny-destinations": ["169.254.0.0/16", "fe80::/10"]}
 *                                                      addresses no target may connect to (the default)
 * }
 * </pre>
 */
public final class NodeOptions {
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_GRPC_PORT = 9090;
  public static final int DEFAULT_ADMIN_PORT = 8080;
  public static final String DEFAULT_DATA_DIR = "walmesh-data";
  /** How often the plugins directory is scanned for new, changed and deleted jars: {@value} ms. */
  public static final long DEFAULT_PLUGIN_SCAN_INTERVAL_MS = 2_000;
  /** A node whose storage cannot write for {@value} ms exits so a supervisor restarts it. */
  public static final long DEFAULT_STORAGE_UNAVAILABLE_EXIT_MS = 60_000;
  private static final Set<String> FIELDS = Set.of("node-id", "data-dir", "grpc", "admin", "demo-namespace",
      "cluster", "plugin-scan-interval-ms", "targets", "metrics", "plugins", "storage-unavailable-exit-ms", "insecure", "tls", "auth", "secrets",
      "tracing");
  private static final Set<String> TARGETS_FIELDS = Set.of("deny-destinations");
  private static final Set<String> LISTEN_FIELDS = Set.of("host", "port", "max-connections", "idle-timeout-ms");
  private static final Set<String> ADMIN_FIELDS = Set.of("host", "port", "max-connections", "idle-timeout-ms",
      "max-concurrent-uploads");
  private static final Set<String> PLUGINS_FIELDS = Set.of("max-jar-bytes", "max-unpacked-bytes", "max-entry-bytes", "max-entries",
      "max-mesh-jar-bytes", "allowed-sha256");
  private static final Set<String> GRPC_FIELDS = Set.of("host", "port", "max-connections", "idle-timeout-ms",
      "max-request-bytes-in-flight", "instances");

  private String nodeId = "node-" + UUID.randomUUID().toString().substring(0, 8);
  private Path dataDir = Path.of(DEFAULT_DATA_DIR);
  private String grpcHost = DEFAULT_HOST;
  private int grpcPort = DEFAULT_GRPC_PORT;
  private String adminHost = DEFAULT_HOST;
  private int adminPort = DEFAULT_ADMIN_PORT;
  private boolean demoNamespace;
  private io.walmesh.node.tracing.TracingOptions tracing;
  private io.opentelemetry.api.OpenTelemetry openTelemetry;
  private ListenerLimits grpcLimits = ListenerLimits.grpcDefaults();
  private ListenerLimits adminLimits = ListenerLimits.adminDefaults();
  private long maxRequestBytesInFlight = RequestBudget.DEFAULT_MAX_BYTES;
  /** One gateway instance per core by default: each serves the connections Vert.x hands it on its own event loop. */
  public static final int DEFAULT_GRPC_INSTANCES = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), 16));
  public static final int MAX_GRPC_INSTANCES = 64;
  private int grpcInstances = DEFAULT_GRPC_INSTANCES;
  private long storageUnavailableExitMs = DEFAULT_STORAGE_UNAVAILABLE_EXIT_MS;
  private boolean insecure;
  private io.walmesh.node.tls.TlsOptions tls;
  private io.walmesh.node.auth.AuthOptions auth;
  private Path secretsDir;
  private String secretEnvPrefix = io.walmesh.node.namespace.SecretReferences.DEFAULT_ENV_PREFIX;
  private int maxConcurrentUploads = AdminVerticle.DEFAULT_MAX_CONCURRENT_UPLOADS;
  private int maxNamespaceSeries = Metrics.DEFAULT_MAX_NAMESPACE_SERIES;
  private PluginLimits pluginLimits = PluginLimits.DEFAULTS;
  private java.util.Set<String> allowedPluginSha256 = java.util.Set.of();
  private ClusterOptions cluster;
  private long pluginScanIntervalMs = DEFAULT_PLUGIN_SCAN_INTERVAL_MS;
  private DestinationPolicy destinations = DestinationPolicy.defaults();

  public NodeOptions() {
  }

  /** Reads a node config document; errors name the bad field. */
  public static NodeOptions fromJson(String text) {
    JsonObject json;
    try {
      json = new JsonObject(text);
    } catch (DecodeException e) {
      throw new ConfigException("(document)", "not valid JSON: " + e.getMessage());
    }
    ConfigReader reader = new ConfigReader(json, "");
    reader.rejectUnknown(FIELDS);
    NodeOptions options = new NodeOptions();
    options.nodeId = reader.optString("node-id", options.nodeId);
    options.dataDir = Path.of(reader.optString("data-dir", DEFAULT_DATA_DIR));
    ConfigReader grpc = reader.object("grpc");
    grpc.rejectUnknown(GRPC_FIELDS);
    options.grpcHost = grpc.optString("host", DEFAULT_HOST);
    options.grpcPort = grpc.optInt("port", DEFAULT_GRPC_PORT, 0, 65535);
    options.grpcLimits = readLimits(grpc, ListenerLimits.grpcDefaults());
    options.maxRequestBytesInFlight = grpc.optLong("max-request-bytes-in-flight", RequestBudget.DEFAULT_MAX_BYTES, 1 << 20,
        Long.MAX_VALUE);
    options.grpcInstances = grpc.optInt("instances", DEFAULT_GRPC_INSTANCES, 1, MAX_GRPC_INSTANCES);
    ConfigReader admin = reader.object("admin");
    admin.rejectUnknown(ADMIN_FIELDS);
    options.adminHost = admin.optString("host", DEFAULT_HOST);
    options.adminPort = admin.optInt("port", DEFAULT_ADMIN_PORT, 0, 65535);
    options.adminLimits = readLimits(admin, ListenerLimits.adminDefaults());
    options.maxConcurrentUploads = admin.optInt("max-concurrent-uploads", AdminVerticle.DEFAULT_MAX_CONCURRENT_UPLOADS, 1, 64);
    ConfigReader metrics = reader.object("metrics");
    metrics.rejectUnknown(Set.of("max-namespace-series"));
    options.maxNamespaceSeries = metrics.optInt("max-namespace-series", Metrics.DEFAULT_MAX_NAMESPACE_SERIES, 0, 100_000);
    if (reader.has("tracing")) {
      options.tracing = io.walmesh.node.tracing.TracingOptions.read(reader.object("tracing"));
    }
    ConfigReader plugins = reader.object("plugins");
    plugins.rejectUnknown(PLUGINS_FIELDS);
    options.pluginLimits = new PluginLimits(
        plugins.optLong("max-jar-bytes", PluginLimits.DEFAULT_MAX_JAR_BYTES, 1024, Long.MAX_VALUE),
        plugins.optLong("max-unpacked-bytes", PluginLimits.DEFAULT_MAX_UNPACKED_BYTES, 1024, Long.MAX_VALUE),
        plugins.optLong("max-entry-bytes", PluginLimits.DEFAULT_MAX_ENTRY_BYTES, 1024, Long.MAX_VALUE),
        plugins.optInt("max-entries", PluginLimits.DEFAULT_MAX_ENTRIES, 1, Integer.MAX_VALUE),
        plugins.optLong("max-mesh-jar-bytes", PluginLimits.DEFAULT_MAX_MESH_JAR_BYTES, 1024, Long.MAX_VALUE));
    if (plugins.has("allowed-sha256")) {
      java.util.Set<String> digests = new java.util.TreeSet<>();
      io.vertx.core.json.JsonArray array = plugins.array("allowed-sha256");
      for (int i = 0; i < array.size(); i++) {
        if (!(array.getValue(i) instanceof String digest) || !digest.toLowerCase(java.util.Locale.ROOT).matches("[0-9a-f]{64}")) {
          throw new ConfigException(plugins.field("allowed-sha256") + "[" + i + "]", "must be a SHA-256 digest: 64 hex digits"
              + " (sha256sum plugin.jar)");
        }
        digests.add(digest.toLowerCase(java.util.Locale.ROOT));
      }
      options.allowedPluginSha256 = digests;
    }
    options.demoNamespace = reader.optBoolean("demo-namespace", false);
    options.insecure = reader.optBoolean("insecure", false);
    ConfigReader secrets = reader.object("secrets");
    secrets.rejectUnknown(Set.of("dir", "env-prefix"));
    options.secretsDir = secrets.has("dir") ? Path.of(secrets.optString("dir", "")) : null;
    options.secretEnvPrefix = secrets.optString("env-prefix", io.walmesh.node.namespace.SecretReferences.DEFAULT_ENV_PREFIX);
    if (reader.has("auth")) {
      options.auth = io.walmesh.node.auth.AuthOptions.read(reader.object("auth"), Path.of(""));
    }
    if (reader.has("tls")) {
      options.tls = io.walmesh.node.tls.TlsOptions.read(reader.object("tls"), Path.of(""));
    }
    options.storageUnavailableExitMs = reader.optLong("storage-unavailable-exit-ms", DEFAULT_STORAGE_UNAVAILABLE_EXIT_MS, 0,
        86_400_000L);
    options.pluginScanIntervalMs = reader.optLong("plugin-scan-interval-ms", DEFAULT_PLUGIN_SCAN_INTERVAL_MS, 0, 3_600_000);
    if (reader.has("cluster")) {
      options.cluster = ClusterOptions.read(reader.object("cluster"));
    }
    ConfigReader targets = reader.object("targets");
    targets.rejectUnknown(TARGETS_FIELDS);
    if (targets.has("deny-destinations")) {
      java.util.List<String> blocks = new java.util.ArrayList<>();
      io.vertx.core.json.JsonArray array = targets.array("deny-destinations");
      for (int i = 0; i < array.size(); i++) {
        if (!(array.getValue(i) instanceof String block)) {
          throw new ConfigException(targets.field("deny-destinations") + "[" + i + "]", "must be a CIDR block string");
        }
        blocks.add(block);
      }
      try {
        options.destinations = DestinationPolicy.denying(blocks);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(targets.field("deny-destinations"), e.getMessage());
      }
    }
    return options;
  }

  /** The addresses no target may connect to ({@code targets.deny-destinations}); default link-local. */
  public DestinationPolicy destinations() {
    return destinations;
  }

  public NodeOptions destinations(DestinationPolicy destinations) {
    this.destinations = java.util.Objects.requireNonNull(destinations, "destinations");
    return this;
  }

  /** How often the plugins directory is scanned, in ms; 0 turns the scan off (the admin API still installs). */
  public long pluginScanIntervalMs() {
    return pluginScanIntervalMs;
  }

  public NodeOptions pluginScanIntervalMs(long pluginScanIntervalMs) {
    if (pluginScanIntervalMs < 0) {
      throw new IllegalArgumentException("plugin-scan-interval-ms must be >= 0");
    }
    this.pluginScanIntervalMs = pluginScanIntervalMs;
    return this;
  }

  /** The {@code tracing} section, or null: tracing off. */
  public io.walmesh.node.tracing.TracingOptions tracing() {
    return tracing;
  }

  /** An OpenTelemetry to trace with instead of the {@code tracing} section's exporter (for embedding and tests). */
  public NodeOptions openTelemetry(io.opentelemetry.api.OpenTelemetry openTelemetry) {
    this.openTelemetry = openTelemetry;
    return this;
  }

  public io.opentelemetry.api.OpenTelemetry openTelemetry() {
    return openTelemetry;
  }

  public String nodeId() {
    return nodeId;
  }

  public NodeOptions nodeId(String nodeId) {
    this.nodeId = nodeId;
    return this;
  }

  private static ListenerLimits readLimits(ConfigReader listener, ListenerLimits defaults) {
    return new ListenerLimits(listener.optInt("max-connections", defaults.maxConnections(), 1, 1_000_000),
        listener.optLong("idle-timeout-ms", defaults.idleTimeoutMs(), 0, 86_400_000L));
  }

  /** Connection cap and idle timeout of the gRPC listener ({@code grpc.max-connections}, {@code grpc.idle-timeout-ms}). */
  public ListenerLimits grpcLimits() {
    return grpcLimits;
  }

  /** Connection cap and idle timeout of the admin listener ({@code admin.max-connections}, {@code admin.idle-timeout-ms}). */
  public ListenerLimits adminLimits() {
    return adminLimits;
  }

  public NodeOptions listenerLimits(ListenerLimits grpc, ListenerLimits admin) {
    this.grpcLimits = grpc;
    this.adminLimits = admin;
    return this;
  }

  /**
   * Gateway instances ({@code grpc.instances}, default one per core up to 16): Vert.x hands each new gRPC connection
   * to the next instance, each on its own event loop, so that many clients' HTTP/2 work uses every core.
   */
  public int grpcInstances() {
    return grpcInstances;
  }

  public NodeOptions grpcInstances(int instances) {
    if (instances < 1 || instances > MAX_GRPC_INSTANCES) {
      throw new IllegalArgumentException("grpc.instances must be 1 to " + MAX_GRPC_INSTANCES + ", not " + instances);
    }
    this.grpcInstances = instances;
    return this;
  }

  /** Bytes of decoded write requests the node holds at once ({@code grpc.max-request-bytes-in-flight}). */
  public long maxRequestBytesInFlight() {
    return maxRequestBytesInFlight;
  }

  public NodeOptions maxRequestBytesInFlight(long bytes) {
    this.maxRequestBytesInFlight = bytes;
    return this;
  }

  /**
   * How secret references in namespace documents resolve on this node ({@code "secrets": {"dir", "env-prefix"}}):
   * {@code ${file:NAME}} in the secrets directory (default {@code <data-dir>/secrets}), {@code ${env:NAME}} for
   * variables with the prefix (default {@code WALMESH_SECRET_}).
   */
  public io.walmesh.node.namespace.SecretReferences secretReferences() {
    return io.walmesh.node.namespace.SecretReferences.of(secretsDir != null ? secretsDir : dataDir.resolve("secrets"),
        secretEnvPrefix);
  }

  /** Caller identities and permissions ({@code "auth"}), or null: every caller may do everything. */
  public io.walmesh.node.auth.AuthOptions auth() {
    return auth;
  }

  public NodeOptions auth(io.walmesh.node.auth.AuthOptions auth) {
    this.auth = auth;
    return this;
  }

  /** TLS on the gRPC and admin listeners ({@code "tls"}), or null for plaintext. */
  public io.walmesh.node.tls.TlsOptions tls() {
    return tls;
  }

  public NodeOptions tls(io.walmesh.node.tls.TlsOptions tls) {
    this.tls = tls;
    return this;
  }

  /**
   * Whether the node may listen beyond loopback without TLS and authentication ({@code "insecure": true});
   * without it, a non-loopback grpc, admin or cluster host is refused at start.
   */
  public boolean insecure() {
    return insecure;
  }

  public NodeOptions insecure(boolean insecure) {
    this.insecure = insecure;
    return this;
  }

  /**
   * How long the node stays up while some namespace cannot store writes (health DOWN, writes
   * refused) before it exits with status 75 for a supervisor to restart it; 0 never exits.
   */
  public long storageUnavailableExitMs() {
    return storageUnavailableExitMs;
  }

  public NodeOptions storageUnavailableExitMs(long ms) {
    this.storageUnavailableExitMs = ms;
    return this;
  }

  /** Plugin uploads the admin API takes at once ({@code admin.max-concurrent-uploads}). */
  public int maxConcurrentUploads() {
    return maxConcurrentUploads;
  }

  /** Namespaces with their own metric series; the rest count under namespace="(other)" ({@code metrics.max-namespace-series}). */
  public int maxNamespaceSeries() {
    return maxNamespaceSeries;
  }

  /** SHA-256 digests of the only plugin jars the node loads ({@code plugins.allowed-sha256}); empty: any. */
  public java.util.Set<String> allowedPluginSha256() {
    return allowedPluginSha256;
  }

  public NodeOptions allowedPluginSha256(java.util.Set<String> digests) {
    this.allowedPluginSha256 = digests;
    return this;
  }

  /** Size limits on plugin jars ({@code plugins.max-jar-bytes}, ...). */
  public PluginLimits pluginLimits() {
    return pluginLimits;
  }

  public NodeOptions pluginLimits(PluginLimits limits) {
    this.pluginLimits = limits;
    return this;
  }

  public Path dataDir() {
    return dataDir;
  }

  public NodeOptions dataDir(Path dataDir) {
    this.dataDir = dataDir;
    return this;
  }

  public String grpcHost() {
    return grpcHost;
  }

  public int grpcPort() {
    return grpcPort;
  }

  public NodeOptions grpc(String host, int port) {
    this.grpcHost = host;
    this.grpcPort = port;
    return this;
  }

  public String adminHost() {
    return adminHost;
  }

  public int adminPort() {
    return adminPort;
  }

  public NodeOptions admin(String host, int port) {
    this.adminHost = host;
    this.adminPort = port;
    return this;
  }

  public boolean demoNamespace() {
    return demoNamespace;
  }

  public NodeOptions demoNamespace(boolean demoNamespace) {
    this.demoNamespace = demoNamespace;
    return this;
  }

  /** The mesh this node joins; null for a standalone node. */
  public ClusterOptions cluster() {
    return cluster;
  }

  public NodeOptions cluster(ClusterOptions cluster) {
    this.cluster = cluster;
    return this;
  }
}
