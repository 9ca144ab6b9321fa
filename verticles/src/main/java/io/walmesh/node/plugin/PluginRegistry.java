package io.walmesh.node.plugin;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.walmesh.node.namespace.NamespaceConfig;
import io.walmesh.node.namespace.TargetConfig;
import io.walmesh.spi.DestinationPolicy;
import io.walmesh.spi.PluginContext;
import io.walmesh.spi.backend.BackendFactory;
import io.walmesh.spi.backend.BackendSpec;
import io.walmesh.spi.config.ConfigException;
import io.walmesh.spi.target.TargetFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backend and target types this node can run: the built-in ones, discovered on the class path,
 * and the target types of hot-loaded plugins, which the {@link PluginManager} adds and removes.
 * Each backend factory gets its own data directory, {@code <data-dir>/plugins/<type>}.
 */
public final class PluginRegistry {
  private static final Logger log = LoggerFactory.getLogger(PluginRegistry.class);

  private final Vertx vertx;
  private final Path dataDir;
  private final String nodeId;
  private final DestinationPolicy destinations;
  private final Map<String, BackendFactory> backends = new TreeMap<>();
  private final Map<String, TargetFactory> targets = new java.util.concurrent.ConcurrentSkipListMap<>();
  private final java.util.Set<String> builtInTargets = new java.util.TreeSet<>();
  private final List<String> brokenPlugins = new java.util.concurrent.CopyOnWriteArrayList<>();

  public PluginRegistry(Vertx vertx, Path dataDir, String nodeId) {
    this(vertx, dataDir, nodeId, DestinationPolicy.defaults());
  }

  /** A registry whose plugins get {@code destinations}, the node's {@code targets.deny-destinations}. */
  public PluginRegistry(Vertx vertx, Path dataDir, String nodeId, DestinationPolicy destinations) {
    this.vertx = vertx;
    this.dataDir = dataDir;
    this.nodeId = nodeId;
    this.destinations = destinations;
  }

  /** Discovers and initialises the built-in plugins. */
  public Future<Void> start() {
    load(BackendFactory.class, f -> backends.put(f.type(), f));
    load(TargetFactory.class, f -> targets.put(f.type(), f));
    builtInTargets.addAll(targets.keySet());
    log.info("Backends: {}; targets: {}", backends.keySet(), targets.keySet());
    List<Future<Void>> inits = new ArrayList<>();
    for (BackendFactory factory : backends.values()) {
      inits.add(vertx.executeBlocking(() -> Files.createDirectories(dataDir.resolve("plugins").resolve(factory.type())))
          .compose(dir -> factory.init(context(dir))));
    }
    for (TargetFactory factory : targets.values()) {
      inits.add(factory.init(targetContext()));
    }
    return Future.all(inits).mapEmpty();
  }

  /** Whether a target type is built into the node (on its class path) rather than hot-loaded. */
  public boolean isBuiltInTarget(String type) {
    return builtInTargets.contains(type);
  }

  /** The built-in target types. */
  public java.util.Set<String> builtInTargets() {
    return java.util.Collections.unmodifiableSet(builtInTargets);
  }

  /** Registers hot-loaded target factories, replacing those of the same types. */
  void addTargets(Map<String, ? extends TargetFactory> factories) {
    targets.putAll(factories);
  }

  /** Unregisters hot-loaded target types; built-in ones stay. */
  void removeTargets(java.util.Collection<String> types) {
    types.stream().filter(t -> !builtInTargets.contains(t)).forEach(targets::remove);
  }

  /** Loads every provider of a type; one that cannot be loaded is reported and skipped, never fatal. */
  private <T> void load(Class<T> type, java.util.function.Consumer<T> register) {
    java.util.Iterator<T> providers = ServiceLoader.load(type, getClass().getClassLoader()).iterator();
    while (true) {
      try {
        if (!providers.hasNext()) {
          return;
        }
        register.accept(providers.next());
      } catch (java.util.ServiceConfigurationError | LinkageError e) {
        String problem = e.getMessage() + (e.getCause() == null ? "" : " (" + e.getCause() + ")");
        brokenPlugins.add(problem);
        log.error("A {} plugin could not be loaded and is disabled: {}", type.getSimpleName(), problem);
      }
    }
  }

  /** Plugins that failed to load, with why. */
  public List<String> brokenPlugins() {
    return List.copyOf(brokenPlugins);
  }

  public PluginContext context(Path dir) {
    return new PluginContext(vertx, dir, nodeId, destinations);
  }

  public PluginContext targetContext() {
    return new PluginContext(vertx, dataDir.resolve("plugins"), nodeId, destinations);
  }

  /** The backend spec of a namespace. */
  public static BackendSpec backendSpec(NamespaceConfig config) {
    return backendSpec(config, true);
  }

  /** The backend's view of a namespace; {@code consumes} is false on a node that only produces it. */
  public static BackendSpec backendSpec(NamespaceConfig config, boolean consumes) {
    return new BackendSpec(config.name(), config.backendConfig(), "backend.config", config.orderedByKey(), config.dedupeWindow(),
        consumes);
  }

  private io.walmesh.node.namespace.SecretReferences secrets = io.walmesh.node.namespace.SecretReferences.of(
      Path.of("secrets"), io.walmesh.node.namespace.SecretReferences.DEFAULT_ENV_PREFIX);

  /** How {@code ${env:..}} and {@code ${file:..}} references in plugin configs are resolved on this node. */
  public PluginRegistry secrets(io.walmesh.node.namespace.SecretReferences secrets) {
    this.secrets = secrets;
    return this;
  }

  /** The backend's view of a namespace, with secret references resolved; {@code consumes} is false on a producer-only node. */
  public BackendSpec spec(NamespaceConfig config, boolean consumes) {
    return new BackendSpec(config.name(), secrets.resolve(config.backendConfig(), "backend.config"), "backend.config",
        config.orderedByKey(), config.dedupeWindow(), consumes);
  }

  /** A target's config with secret references resolved. */
  public io.vertx.core.json.JsonObject targetConfig(TargetConfig target, String path) {
    return secrets.resolve(target.config(), path);
  }

  /** Checks the plugin sections of a namespace; throws {@link ConfigException} naming the bad field. */
  public void validate(NamespaceConfig config) {
    backend(config.backendType()).validate(spec(config, true));
    for (int i = 0; i < config.targets().size(); i++) {
      TargetConfig target = config.targets().get(i);
      TargetFactory factory = targets.get(target.type());
      if (factory == null) {
        throw new ConfigException("targets[" + i + "].type", "unknown target type \"" + target.type()
            + "\"; this node has " + targets.keySet());
      }
      factory.validate(targetConfig(target, "targets[" + i + "].config"), "targets[" + i + "].config");
    }
  }

  /**
   * Whether the namespace keeps its entries in the same place under {@code after} as under {@code before}: the same
   * backend type, and a config its factory says stores them in the same place ({@link BackendFactory#sameStore}).
   */
  public boolean sameStore(NamespaceConfig before, NamespaceConfig after) {
    return before.backendType().equals(after.backendType())
        && backend(after.backendType()).sameStore(spec(before, true), spec(after, true));
  }

  public BackendFactory backend(String type) {
    BackendFactory factory = backends.get(type);
    if (factory == null) {
      throw new ConfigException("backend.type", "unknown backend type \"" + type + "\"; this node has " + backends.keySet());
    }
    return factory;
  }

  /** Whether namespaces of this backend type live on one node's disk ({@link BackendFactory#nodeLocal()}); false for an unknown type. */
  public boolean nodeLocal(String backendType) {
    BackendFactory factory = backends.get(backendType);
    return factory != null && factory.nodeLocal();
  }

  public TargetFactory target(String type) {
    TargetFactory factory = targets.get(type);
    if (factory == null) {
      throw new ConfigException("type", "unknown target type \"" + type + "\"; this node has " + targets.keySet());
    }
    return factory;
  }

  public Map<String, BackendFactory> backends() {
    return backends;
  }

  public Map<String, TargetFactory> targets() {
    return targets;
  }

  /** Closes every backend factory. */
  public Future<Void> close() {
    List<Future<Void>> closes = new ArrayList<>();
    backends.values().forEach(f -> closes.add(f.close()));
    builtInTargets.forEach(t -> closes.add(targets.get(t).close()));
    return Future.join(closes).mapEmpty();
  }
}
