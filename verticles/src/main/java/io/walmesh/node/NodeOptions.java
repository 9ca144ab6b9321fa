package io.walmesh.node;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.walmesh.node.mesh.ClusterOptions;
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
 *   "grpc":  {"host": "127.0.0.1", "port": 9090},
 *   "admin": {"host": "127.0.0.1", "port": 8080},
 *   "demo-namespace": false,                           create the "demo" namespace when absent
 *   "cluster": {...}                                   join a mesh; see {@link ClusterOptions}
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
  private static final Set<String> FIELDS = Set.of("node-id", "data-dir", "grpc", "admin", "demo-namespace",
      "cluster", "plugin-scan-interval-ms");
  private static final Set<String> LISTEN_FIELDS = Set.of("host", "port");

  private String nodeId = "node-" + UUID.randomUUID().toString().substring(0, 8);
  private Path dataDir = Path.of(DEFAULT_DATA_DIR);
  private String grpcHost = DEFAULT_HOST;
  private int grpcPort = DEFAULT_GRPC_PORT;
  private String adminHost = DEFAULT_HOST;
  private int adminPort = DEFAULT_ADMIN_PORT;
  private boolean demoNamespace;
  private ClusterOptions cluster;
  private long pluginScanIntervalMs = DEFAULT_PLUGIN_SCAN_INTERVAL_MS;

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
    grpc.rejectUnknown(LISTEN_FIELDS);
    options.grpcHost = grpc.optString("host", DEFAULT_HOST);
    options.grpcPort = grpc.optInt("port", DEFAULT_GRPC_PORT, 0, 65535);
    ConfigReader admin = reader.object("admin");
    admin.rejectUnknown(LISTEN_FIELDS);
    options.adminHost = admin.optString("host", DEFAULT_HOST);
    options.adminPort = admin.optInt("port", DEFAULT_ADMIN_PORT, 0, 65535);
    options.demoNamespace = reader.optBoolean("demo-namespace", false);
    options.pluginScanIntervalMs = reader.optLong("plugin-scan-interval-ms", DEFAULT_PLUGIN_SCAN_INTERVAL_MS, 0, 3_600_000);
    if (reader.has("cluster")) {
      options.cluster = ClusterOptions.read(reader.object("cluster"));
    }
    return options;
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

  public String nodeId() {
    return nodeId;
  }

  public NodeOptions nodeId(String nodeId) {
    this.nodeId = nodeId;
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
