package io.walmesh.node.runtime;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.walmesh.node.metrics.Metrics;
import io.walmesh.node.namespace.NamespaceConfig;
import io.walmesh.node.namespace.NamespaceStore;
import io.walmesh.node.plugin.PluginRegistry;
import io.walmesh.spi.backend.Backend;
import io.walmesh.spi.backend.BackendStats;
import io.walmesh.spi.config.ConfigException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates, updates and removes the node's namespaces: validates a document (core fields, then the
 * plugins' sections), stores it durably, then (re)starts the namespace's runtime. Changes apply
 * live, one at a time. A namespace that fails to start is kept, reported with its error, and
 * retried on its next update.
 */
public final class NamespaceManager {
  private static final Logger log = LoggerFactory.getLogger(NamespaceManager.class);

  /** A namespace as the admin API shows it. */
  public record Status(NamespaceConfig config, String state, String error, BackendStats stats) {
    public JsonObject toJson() {
      JsonObject json = new JsonObject().put("config", config.toJson()).put("state", state);
      if (error != null) {
        json.put("error", error);
      }
      json.put("stats", new JsonObject().put("pending", stats.pending()).put("leased", stats.leased())
          .put("dead-letters", stats.deadLetters()).put("oldest-due-lag-ms", stats.oldestDueLagMs()));
      return json;
    }
  }

  private final Vertx vertx;
  private final PluginRegistry plugins;
  private final NamespaceStore store;
  private final Metrics metrics;
  private final Map<String, NamespaceConfig> configs = new ConcurrentHashMap<>();
  private final Map<String, NamespaceRuntime> running = new ConcurrentHashMap<>();
  private final Map<String, String> failures = new ConcurrentHashMap<>();
  private final Map<Path, String> brokenFiles = new ConcurrentHashMap<>();
  private Future<?> last = Future.succeededFuture();

  public NamespaceManager(Vertx vertx, PluginRegistry plugins, NamespaceStore store, Metrics metrics) {
    this.vertx = vertx;
    this.plugins = plugins;
    this.store = store;
    this.metrics = metrics;
  }

  /** Runs namespace changes one after another. */
  private synchronized <T> Future<T> serially(Supplier<Future<T>> operation) {
    Future<T> result = last.transform(ignored -> {
      try {
        return operation.get();
      } catch (Throwable t) {
        return Future.failedFuture(t);
      }
    });
    last = result;
    return result;
  }

  /** Loads every stored namespace and starts it; a broken document is reported, not fatal. */
  public Future<Void> loadAll() {
    return serially(() -> vertx.executeBlocking(() -> {
      Map<Path, String> documents = new TreeMap<>();
      for (Path file : store.files()) {
        documents.put(file, store.read(file));
      }
      return documents;
    }).compose(documents -> {
      List<Future<Void>> starts = new ArrayList<>();
      documents.forEach((file, text) -> {
        NamespaceConfig config;
        try {
          config = NamespaceConfig.parse(text);
          plugins.validate(config);
        } catch (ConfigException e) {
          brokenFiles.put(file, e.getMessage());
          log.error("Namespace file {} is invalid and was not loaded: {}", file, e.getMessage());
          return;
        }
        configs.put(config.name(), config);
        starts.add(startRuntime(config));
      });
      return Future.join(starts).<Void>mapEmpty().recover(e -> Future.succeededFuture());
    }));
  }

  /** Creates a namespace from its JSON document. */
  public Future<NamespaceConfig> create(JsonObject document) {
    return serially(() -> {
      NamespaceConfig config = validate(document);
      if (configs.containsKey(config.name())) {
        throw new NamespaceException(NamespaceException.Kind.ALREADY_EXISTS, "namespace " + config.name()
            + " already exists; update it with PUT /v1/namespaces/" + config.name());
      }
      // all or nothing: a namespace that cannot start is not kept
      return persistAndStart(config).recover(e -> vertx.executeBlocking(() -> {
        store.delete(config.name());
        return null;
      }).transform(ignored -> {
        configs.remove(config.name());
        failures.remove(config.name());
        return Future.failedFuture(new NamespaceException(NamespaceException.Kind.CONFLICT, "namespace "
            + config.name() + " was not created: it failed to start: " + e.getMessage()));
      }));
    });
  }

  /** Replaces a namespace's document and restarts it with the new config, keeping its entries. */
  public Future<NamespaceConfig> update(String name, JsonObject document) {
    return serially(() -> {
      NamespaceConfig config = validate(document);
      if (!config.name().equals(name)) {
        throw new ConfigException("name", "is \"" + config.name() + "\" but the request is for namespace \"" + name
            + "\"; a namespace cannot be renamed");
      }
      requireKnown(name);
      // store the new document first: if that fails, the old runtime keeps running untouched
      return vertx.executeBlocking(() -> {
        store.save(config);
        return null;
      }).compose(saved -> {
        NamespaceRuntime old = running.remove(name);
        return old == null ? Future.succeededFuture() : old.stop();
      }).compose(v -> {
        configs.put(config.name(), config);
        return startRuntime(config);
      }).map(config);
    });
  }

  /**
   * Removes a namespace and deletes its stored entries. Refused while entries are pending or
   * dead-lettered unless {@code force}.
   */
  public Future<Void> delete(String name, boolean force) {
    return serially(() -> {
      requireKnown(name);
      NamespaceRuntime runtime = running.get(name);
      BackendStats stats = runtime == null ? new BackendStats(0, 0, 0, 0) : runtime.stats();
      if (!force && (stats.pending() > 0 || stats.deadLetters() > 0)) {
        throw new NamespaceException(NamespaceException.Kind.CONFLICT, "namespace " + name + " still holds "
            + stats.pending() + " pending and " + stats.deadLetters()
            + " dead-lettered entries; deleting it would drop them. Wait for delivery, purge the DLQ, or delete with force=true");
      }
      if (runtime == null && !force) {
        throw new NamespaceException(NamespaceException.Kind.CONFLICT, "namespace " + name + " is not running ("
            + failures.getOrDefault(name, "starting") + "), so its stored entries cannot be counted; delete it with force=true");
      }
      running.remove(name);
      Future<Void> destroyed = runtime != null ? runtime.destroy() : destroyStored(configs.get(name));
      return destroyed.compose(v -> vertx.executeBlocking(() -> {
        store.delete(name);
        return null;
      })).<Void>map(v -> {
        configs.remove(name);
        failures.remove(name);
        log.info("Namespace {} deleted", name);
        return null;
      });
    });
  }

  /** Deletes the stored entries of a namespace that is not running; a failure is logged, not fatal. */
  private Future<Void> destroyStored(NamespaceConfig config) {
    try {
      return plugins.backend(config.backendType()).open(PluginRegistry.backendSpec(config)).compose(Backend::destroy)
          .recover(e -> {
            log.warn("Namespace {}: its stored entries could not be deleted ({}); they stay in the backend",
                config.name(), e.getMessage());
            return Future.succeededFuture();
          });
    } catch (RuntimeException e) {
      log.warn("Namespace {}: its stored entries could not be deleted ({})", config.name(), e.getMessage());
      return Future.succeededFuture();
    }
  }

  private NamespaceConfig validate(JsonObject document) {
    NamespaceConfig config = NamespaceConfig.fromJson(document);
    plugins.validate(config);
    return config;
  }

  private void requireKnown(String name) {
    if (!configs.containsKey(name)) {
      throw notFound(name);
    }
  }

  private static NamespaceException notFound(String name) {
    return new NamespaceException(NamespaceException.Kind.NOT_FOUND, "namespace " + name + " does not exist");
  }

  private Future<NamespaceConfig> persistAndStart(NamespaceConfig config) {
    return vertx.executeBlocking(() -> {
      store.save(config);
      return null;
    }).compose(v -> {
      configs.put(config.name(), config);
      return startRuntime(config);
    }).map(config);
  }

  private Future<Void> startRuntime(NamespaceConfig config) {
    failures.remove(config.name());
    return new NamespaceRuntime(vertx, plugins, metrics, config).start()
        .onSuccess(runtime -> {
          running.put(config.name(), runtime);
          log.info("Namespace {} running (backend {}, targets {})", config.name(), config.backendType(),
              config.targets().stream().map(t -> t.name() + ":" + t.type()).toList());
        })
        .onFailure(e -> {
          failures.put(config.name(), String.valueOf(e.getMessage()));
          log.error("Namespace {} failed to start: {}", config.name(), e.getMessage(), e);
        })
        .mapEmpty();
  }

  public boolean exists(String name) {
    return configs.containsKey(name);
  }

  public Optional<Status> status(String name) {
    NamespaceConfig config = configs.get(name);
    if (config == null) {
      return Optional.empty();
    }
    NamespaceRuntime runtime = running.get(name);
    String failure = failures.get(name);
    String state = runtime != null ? "running" : failure != null ? "failed" : "starting";
    return Optional.of(new Status(config, state, failure, runtime == null ? new BackendStats(0, 0, 0, 0) : runtime.stats()));
  }

  public List<Status> list() {
    return new TreeMap<>(configs).keySet().stream().map(this::status).flatMap(Optional::stream).toList();
  }

  /** Plugins that could not be loaded, with why. */
  public List<String> brokenPlugins() {
    return plugins.brokenPlugins();
  }

  /** Namespace files that could not be loaded, with why. */
  public Map<Path, String> brokenFiles() {
    return Map.copyOf(brokenFiles);
  }

  /** The running backend of a namespace, for DLQ operations. */
  public Backend backend(String name) {
    requireKnown(name);
    NamespaceRuntime runtime = running.get(name);
    if (runtime == null) {
      throw new NamespaceException(NamespaceException.Kind.CONFLICT, "namespace " + name + " is not running: "
          + failures.getOrDefault(name, "starting"));
    }
    return runtime.backend();
  }

  /** Stops every namespace, draining in-flight work; entries stay stored. */
  public Future<Void> stopAll() {
    return serially(() -> {
      List<Future<Void>> stops = new ArrayList<>();
      running.values().forEach(r -> stops.add(r.stop()));
      running.clear();
      return Future.join(stops).mapEmpty();
    });
  }
}
