package io.walmesh.node.runtime;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.walmesh.node.internal.SerialQueue;
import io.walmesh.node.mesh.Mesh;
import io.walmesh.node.metrics.Metrics;
import io.walmesh.node.namespace.NamespaceConfig;
import io.walmesh.node.namespace.NamespaceStore;
import io.walmesh.node.namespace.Secrets;
import io.walmesh.node.plugin.PluginRegistry;
import io.walmesh.node.plugin.PluginUsers;
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
public final class NamespaceManager implements PluginUsers {
  private static final Logger log = LoggerFactory.getLogger(NamespaceManager.class);

  /** A namespace as the admin API shows it. */
  public record Status(NamespaceConfig config, JsonObject shownConfig, NamespaceState state, String error, BackendStats stats) {
    public JsonObject toJson() {
      JsonObject json = new JsonObject().put("config", shownConfig).put("state", state.label());
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
  /** Mesh documents this node refused (e.g. a target type not installed here yet), by name. */
  private final Map<String, String> rejectedDocs = new ConcurrentHashMap<>();
  private final Map<String, Long> failedAt = new ConcurrentHashMap<>();
  private final String nodeId;
  private Mesh mesh;
  /**
   * Every change (create, update, delete, a mesh document, reconcile) runs one at a time on the
   * context that made this manager (the node's startup context): backends open there, whichever
   * thread asked (the admin API's event loop, a Hazelcast event).
   */
  private final SerialQueue changes;

  public NamespaceManager(Vertx vertx, PluginRegistry plugins, NamespaceStore store, Metrics metrics, String nodeId) {
    this.changes = new SerialQueue(vertx.getOrCreateContext());
    this.nodeId = nodeId;
    this.vertx = vertx;
    this.plugins = plugins;
    this.store = store;
    this.metrics = metrics;
  }

  /** Runs changes one after another. */
  private <T> Future<T> serially(Supplier<Future<T>> operation) {
    return changes.submit(operation);
  }

  /** Loads every stored namespace and starts it; a broken document is reported, not fatal. */
  public Future<Void> loadAll() {
    return serially(() -> vertx.executeBlocking(store::files).compose(this::loadFiles))
        .compose(v -> mesh == null ? Future.succeededFuture() : mirrorMesh());
  }

  /**
   * Reads, checks and starts (standalone) or seeds into the mesh the namespaces of these files; a
   * file that fails is kept in {@link #brokenFiles} with why, and one already loaded is skipped.
   */
  private Future<Void> loadFiles(java.util.Collection<Path> files) {
    return vertx.executeBlocking(() -> {
      Map<Path, String> documents = new TreeMap<>();
      for (Path file : files) {
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
          if (!e.getMessage().equals(brokenFiles.put(file, e.getMessage()))) {
            log.error("Namespace file {} is invalid and was not loaded: {}", file, e.getMessage());
          }
          return;
        }
        if (configs.containsKey(config.name())) {
          return;
        }
        if (brokenFiles.remove(file) != null) {
          log.info("Namespace file {} loads now: {}", file, config.name());
        }
        if (pinnedToNode(config) && config.homeNode().isEmpty()) {
          config = config.withHomeNode(nodeId); // the log holding it is on this node's disk
        }
        configs.put(config.name(), config);
        if (mesh == null) {
          starts.add(startRuntime(config, true, true));
        } else {
          String name = config.name();
          // seeds a restarted mesh; a namespace the mesh deleted while this node was away goes from here too
          starts.add(mesh.seed(name, config.toJson().encode()).compose(seeded -> seeded == Mesh.Seeded.DELETED
              ? forget(name, "was deleted from the mesh while this node was away; its copy here is removed")
              : Future.succeededFuture()));
        }
      });
      return Future.join(starts).<Void>mapEmpty().recover(e -> Future.succeededFuture());
    });
  }

  /**
   * Forgets a namespace the mesh removed: stops its runtime here, drops what this node knows of it
   * and its disk copy. Runs inside the serial queue (from {@link #applyRemote}, or while loading
   * when the mesh deleted it while this node was away).
   */
  private Future<Void> forget(String name, String why) {
    rejectedDocs.remove(name);
    NamespaceRuntime runtime = running.remove(name);
    configs.remove(name);
    failures.remove(name);
    failedAt.remove(name);
    Future<Void> stopped = runtime == null ? Future.succeededFuture() : runtime.stop();
    return stopped.compose(v -> vertx.<Void>executeBlocking(() -> {
      store.delete(name);
      return null;
    })).onSuccess(v -> log.info("Namespace {} {}", name, why));
  }

  /**
   * Joins this node's namespaces to a mesh: changes then go through the mesh's documents, and the
   * node runs only the namespaces the assignment gives it. Call before {@link #loadAll()}.
   */
  public void attachMesh(Mesh mesh) {
    this.mesh = mesh;
  }

  /** Takes the mesh's documents as the truth, keeps a copy of each on disk, and runs what this node owns. */
  private Future<Void> mirrorMesh() {
    return mesh.documents().compose(documents -> {
      List<Future<Void>> applied = new ArrayList<>();
      documents.forEach((name, json) -> applied.add(applyRemote(name, json)));
      configs.keySet().removeIf(name -> !documents.containsKey(name));
      return Future.join(applied).<Void>mapEmpty().recover(e -> Future.succeededFuture());
    });
  }

  /**
   * Applies a document change made anywhere in the mesh: keeps the local copy, and starts, restarts
   * or stops the namespace's runtime as the change and the assignment require.
   */
  public Future<Void> applyRemote(String name, String json) {
    return this.<Void>serially(() -> {
      if (json == null) {
        return forget(name, "removed from the mesh");
      }
      NamespaceConfig config;
      try {
        config = NamespaceConfig.parse(json);
        plugins.validate(config);
      } catch (ConfigException e) {
        failures.put(name, "invalid on this node: " + e.getMessage());
        rejectedDocs.put(name, json); // tried again when plugin types are installed here
        log.error("Namespace {} from the mesh cannot run on this node: {}", name, e.getMessage());
        return Future.succeededFuture();
      }
      rejectedDocs.remove(name);
      NamespaceConfig old = configs.put(name, config);
      Future<Void> saved = config.equals(old) ? Future.succeededFuture() : vertx.<Void>executeBlocking(() -> {
        store.save(config);
        return null;
      });
      return saved.compose(v -> {
        NamespaceRuntime runtime = running.get(name);
        if (runtime != null && old != null && !old.equals(config)) {
          running.remove(name);
          failedAt.remove(name);
          return runtime.stop().compose(x -> reconcileOne(config));
        }
        return reconcileOne(config);
      });
    });
  }

  /** Starts and stops runtimes so that this node runs exactly what the mesh assigns it. */
  public Future<Void> reconcile() {
    return serially(() -> {
      List<Future<Void>> steps = new ArrayList<>();
      for (NamespaceConfig config : List.copyOf(configs.values())) {
        steps.add(reconcileOne(config));
      }
      return Future.join(steps).<Void>mapEmpty().recover(e -> Future.succeededFuture());
    });
  }

  /** Which parts of a namespace this node should run: {producer, consumer}. */
  private boolean[] desired(NamespaceConfig config) {
    if (mesh == null) {
      return new boolean[] {true, true};
    }
    if (pinnedToNode(config)) {
      boolean home = config.homeNode().equals(nodeId);
      return new boolean[] {home, home};
    }
    return mesh.rolesFor(config.shard());
  }

  private Future<Void> reconcileOne(NamespaceConfig config) {
    boolean[] want = desired(config);
    NamespaceRuntime runtime = running.get(config.name());
    if (runtime != null && runtime.producer == want[0] && runtime.consumer == want[1]) {
      return Future.succeededFuture();
    }
    Future<Void> stopped = Future.succeededFuture();
    if (runtime != null) {
      running.remove(config.name());
      log.info("Namespace {}: this node now runs {} (was {}); handing over", config.name(), parts(want[0], want[1]),
          parts(runtime.producer, runtime.consumer));
      stopped = runtime.stop();
    }
    if (!want[0] && !want[1]) {
      return stopped;
    }
    Long failed = failedAt.get(config.name());
    if (failed != null && System.currentTimeMillis() - failed < 10_000) {
      return stopped; // failed a moment ago; the next reconcile tries again
    }
    return stopped.compose(v -> startRuntime(config, want[0], want[1])).recover(e -> Future.succeededFuture());
  }

  private static String parts(boolean producer, boolean consumer) {
    return producer && consumer ? "producer and consumer" : producer ? "the producer" : consumer ? "the consumer" : "nothing";
  }

  /** Creates a namespace from its JSON document. */
  public Future<NamespaceConfig> create(JsonObject given) {
    JsonObject document;
    try {
      document = Secrets.restore(given, new JsonObject()); // a new document has no stored secret to keep
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    if (mesh != null) {
      return createInMesh(document);
    }
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

  /**
   * In a mesh: publishes the document, then waits (up to 30 s) for the node that runs it to report;
   * a namespace that fails to start there is removed again (all or nothing, as on one node).
   */
  private Future<NamespaceConfig> createInMesh(JsonObject document) {
    NamespaceConfig parsed;
    try {
      parsed = validate(document);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    NamespaceConfig config = pinnedToNode(parsed) && parsed.homeNode().isEmpty() ? parsed.withHomeNode(nodeId) : parsed;
    return mesh.putIfAbsent(config.name(), config.toJson().encode()).compose(added -> {
      if (!added) {
        return Future.failedFuture(new NamespaceException(NamespaceException.Kind.ALREADY_EXISTS, "namespace "
            + config.name() + " already exists; update it with PUT /v1/namespaces/" + config.name()));
      }
      return awaitStarted(config, System.currentTimeMillis() + 30_000);
    });
  }

  private Future<NamespaceConfig> awaitStarted(NamespaceConfig config, long deadline) {
    return mesh.state(config.name()).compose(state -> {
      if (state != null && NamespaceState.RUNNING.label().equals(state.getString("state"))) {
        return Future.succeededFuture(config);
      }
      if (state != null && NamespaceState.FAILED.label().equals(state.getString("state"))) {
        return mesh.remove(config.name()).transform(v -> Future.failedFuture(new NamespaceException(
            NamespaceException.Kind.CONFLICT, "namespace " + config.name() + " was not created: it failed to start on node "
            + state.getString("node") + ": " + state.getString("error"))));
      }
      if (System.currentTimeMillis() > deadline) {
        log.warn("Namespace {} created, but no node runs it yet (shard {} has no owner)", config.name(), config.shard());
        return Future.succeededFuture(config);
      }
      return vertx.timer(100).compose(v -> awaitStarted(config, deadline));
    });
  }

  /** Replaces a namespace's document and restarts it with the new config, keeping its entries. */
  public Future<NamespaceConfig> update(String name, JsonObject given) {
    JsonObject document;
    try {
      // "(redacted)" placeholders from an earlier GET keep the stored secrets
      NamespaceConfig stored = configs.get(name);
      document = Secrets.restore(given, stored == null ? new JsonObject() : stored.toJson());
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    if (mesh != null) {
      return updateInMesh(name, document);
    }
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
        return startRuntime(config, true, true);
      }).map(config);
    });
  }

  private Future<NamespaceConfig> updateInMesh(String name, JsonObject document) {
    try {
      NamespaceConfig parsed = validate(document);
      if (!parsed.name().equals(name)) {
        throw new ConfigException("name", "is \"" + parsed.name() + "\" but the request is for namespace \"" + name
            + "\"; a namespace cannot be renamed");
      }
      requireKnown(name);
      NamespaceConfig old = configs.get(name);
      NamespaceConfig config = pinnedToNode(parsed) && parsed.homeNode().isEmpty() ? parsed.withHomeNode(
          old.homeNode().isEmpty() ? nodeId : old.homeNode()) : parsed;
      return mesh.replace(name, config.toJson().encode()).map(config);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /**
   * Removes a namespace and deletes its stored entries. Refused while entries are pending or
   * dead-lettered unless {@code force}.
   */
  public Future<Void> delete(String name, boolean force) {
    return serially(() -> {
      requireKnown(name);
      NamespaceRuntime runtime = running.get(name);
      if (runtime == null && !force) {
        throw new NamespaceException(NamespaceException.Kind.CONFLICT, "namespace " + name + " is not running"
            + (mesh == null ? "" : " on any node") + " (" + failures.getOrDefault(name, "starting")
            + "), so its stored entries cannot be counted; delete it with force=true");
      }
      if (runtime == null && mesh != null) {
        log.warn("Namespace {}: deleted while no node runs it; its stored entries stay in the backend", name);
        return mesh.remove(name);
      }
      if (force) {
        return destroy(name, runtime);
      }
      // Stop taking writes first (in-flight appends finish and are answered), then count: a write
      // acknowledged after the count would otherwise be destroyed with the namespace.
      return runtime.stopWrites().compose(v -> {
        BackendStats stats = runtime.stats();
        if (stats.pending() > 0 || stats.leased() > 0 || stats.deadLetters() > 0) {
          return runtime.resumeWrites().transform(ignored -> Future.failedFuture(new NamespaceException(
              NamespaceException.Kind.CONFLICT, "namespace " + name + " still holds " + stats.pending() + " pending, "
              + stats.leased() + " in delivery and " + stats.deadLetters() + " dead-lettered entries; deleting it would"
              + " drop them. Wait for delivery, purge the DLQ, or delete with force=true")));
        }
        return destroy(name, runtime);
      });
    });
  }

  /** Destroys the namespace's stored entries, then forgets its document on this node (and in the mesh). */
  private Future<Void> destroy(String name, NamespaceRuntime runtime) {
    running.remove(name);
    Future<Void> destroyed = runtime != null ? runtime.destroy() : destroyStored(configs.get(name));
    return destroyed.compose(v -> vertx.executeBlocking(() -> {
      store.delete(name);
      return null;
    })).compose(v -> mesh == null ? Future.succeededFuture() : mesh.remove(name)).<Void>map(v -> {
      configs.remove(name);
      failures.remove(name);
      log.info("Namespace {} deleted", name);
      return null;
    });
  }

  /** Deletes the stored entries of a namespace that is not running; a failure is logged, not fatal. */
  private Future<Void> destroyStored(NamespaceConfig config) {
    try {
      return plugins.backend(config.backendType()).open(plugins.spec(config, true)).compose(Backend::destroy)
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
      return startRuntime(config, true, true);
    }).map(config);
  }

  private Future<Void> startRuntime(NamespaceConfig config, boolean producer, boolean consumer) {
    failures.remove(config.name());
    return new NamespaceRuntime(vertx, plugins, metrics, config, producer, consumer).start()
        .onSuccess(runtime -> {
          running.put(config.name(), runtime);
          failedAt.remove(config.name());
          log.info("Namespace {} running{} (backend {}, targets {})", config.name(),
              mesh == null ? "" : ": " + parts(producer, consumer), config.backendType(),
              config.targets().stream().map(t -> t.name() + ":" + t.type()).toList());
          if (mesh != null) {
            mesh.reportState(config.name(), NamespaceState.RUNNING.label(), null);
          }
        })
        .onFailure(e -> {
          failures.put(config.name(), String.valueOf(e.getMessage()));
          failedAt.put(config.name(), System.currentTimeMillis());
          log.error("Namespace {} failed to start: {}", config.name(), e.getMessage(), e);
          if (mesh != null) {
            mesh.reportState(config.name(), NamespaceState.FAILED.label(), String.valueOf(e.getMessage()));
          }
        })
        .mapEmpty();
  }

  /**
   * Whether the namespace's entries live on one node's disk (its backend type says so,
   * {@code nodeLocal()}), so that node, its home node, must run it.
   */
  public boolean pinnedToNode(NamespaceConfig config) {
    return plugins.nodeLocal(config.backendType());
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
    if (runtime != null && runtime.deliveriesPaused() != null) {
      failure = runtime.deliveriesPaused();
    }
    Optional<String> storage = runtime == null || runtime.backend() == null ? Optional.empty() : runtime.backend().unavailable();
    if (storage.isPresent()) {
      failure = "cannot store writes durably: " + storage.get();
    }
    NamespaceState state = storage.isPresent() ? NamespaceState.UNAVAILABLE
        : runtime != null ? (failure != null ? NamespaceState.PAUSED : NamespaceState.RUNNING)
        : failure != null ? NamespaceState.FAILED : mesh != null ? NamespaceState.ELSEWHERE : NamespaceState.STARTING;
    return Optional.of(new Status(config, redacted(config), state, failure, runtime == null ? new BackendStats(0, 0, 0, 0) : runtime.stats()));
  }

  /** Why some namespace running here cannot store writes durably now (its backend says so), or empty. */
  public Optional<String> storageUnavailable() {
    for (NamespaceRuntime runtime : running.values()) {
      Backend backend = runtime.backend();
      Optional<String> why = backend == null ? Optional.empty() : backend.unavailable();
      if (why.isPresent()) {
        return Optional.of("namespace " + runtime.config.name() + ": " + why.get());
      }
    }
    return Optional.empty();
  }

  public List<Status> list() {
    return new TreeMap<>(configs).keySet().stream().map(this::status).flatMap(Optional::stream).toList();
  }

  /** Whether this node runs the namespace (any part of it). */
  public boolean runsHere(String name) {
    return running.containsKey(name);
  }

  /**
   * In a mesh, a node that runs the namespace (its consumer first, which holds its DLQ, then its
   * producer; a local namespace's home node); empty when none, or when standalone.
   */
  public Optional<String> runner(String name) {
    NamespaceConfig config = configs.get(name);
    if (mesh == null || config == null) {
      return Optional.empty();
    }
    if (pinnedToNode(config)) {
      return mesh.liveNodes().contains(config.homeNode()) ? Optional.of(config.homeNode()) : Optional.empty();
    }
    List<String> owners = new ArrayList<>(mesh.assignment().consumers().ownersOf(config.shard()));
    owners.addAll(mesh.assignment().producers().ownersOf(config.shard()));
    return owners.stream().filter(id -> mesh.liveNodes().contains(id)).findFirst();
  }

  /** Why no node takes writes for a namespace, for the gateway's UNAVAILABLE answer. */
  public String whyUnavailable(String name) {
    NamespaceConfig config = configs.get(name);
    if (mesh == null || config == null) {
      return "";
    }
    if (pinnedToNode(config)) {
      return mesh.liveNodes().contains(config.homeNode()) ? "its home node " + config.homeNode() + " has not started it ("
          + failures.getOrDefault(name, "starting") + ")" : "it is on the local backend of node " + config.homeNode()
          + ", which is not in the mesh; start that node again";
    }
    List<String> producers = mesh.assignment().producers().ownersOf(config.shard());
    return producers.isEmpty() ? "no node may run shard " + config.shard() + " as a producer (check the nodes'"
        + " cluster.shards and cluster.roles)" : "shard " + config.shard() + " is owned by " + producers
        + ", which is starting it or moving it";
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

  @Override
  public List<String> namespacesUsing(java.util.Set<String> targetTypes) {
    return configs.values().stream().filter(c -> c.targets().stream().anyMatch(t -> targetTypes.contains(t.type())))
        .map(NamespaceConfig::name).sorted().toList();
  }

  @Override
  public Future<Void> restartDeliveries(java.util.Set<String> targetTypes) {
    return serially(() -> {
      Future<Void> chain = Future.succeededFuture();
      for (NamespaceRuntime runtime : List.copyOf(running.values())) {
        if (runtime.usesAny(targetTypes)) {
          // one namespace's failure must not keep the others on the old plugin
          chain = chain.transform(ignored -> runtime.restartDeliveries()
              .onSuccess(v -> log.info("Namespace {}: deliveries restarted with the target types installed now{}",
                  runtime.config.name(), runtime.deliveriesPaused() == null ? "" : "; " + runtime.deliveriesPaused()))
              .onFailure(e -> log.error("Namespace {}: restarting deliveries failed: {}", runtime.config.name(),
                  e.getMessage(), e)));
        }
      }
      return chain.transform(ignored -> loadRejected());
    });
  }

  /**
   * Loads the namespace files that were refused for a reason that may have gone (a target type
   * installed since, e.g.); those that still fail stay reported.
   */
  private Future<Void> loadRejected() {
    if (mesh != null) {
      // queued behind this change, not awaited: it runs through the same one-at-a-time queue
      Map.copyOf(rejectedDocs).forEach((name, json) -> applyRemote(name, json));
      return Future.succeededFuture();
    }
    return brokenFiles.isEmpty() ? Future.succeededFuture() : loadFiles(List.copyOf(brokenFiles.keySet()));
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

  /**
   * A namespace's document as answers show it: secrets redacted, those its plugins declare
   * ({@code secretFields()}) included.
   */
  public JsonObject redacted(NamespaceConfig config) {
    return Secrets.redact(config.toJson(), (kind, type) -> {
      try {
        return "backend".equals(kind) ? plugins.backend(type).secretFields() : plugins.target(type).secretFields();
      } catch (RuntimeException e) {
        return java.util.Set.of(); // a type not installed here: the names that always count still apply
      }
    });
  }
}
