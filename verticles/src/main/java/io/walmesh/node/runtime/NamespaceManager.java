package io.walmesh.node.runtime;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.walmesh.node.internal.SerialQueue;
import io.walmesh.node.cluster.ClusterState;
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
 * The node's catalog of namespaces: creates, updates and removes namespace documents. It validates
 * a document (core fields, then the plugins' sections) and publishes it to the {@link ClusterState};
 * every node (a standalone node too, a mesh of one) then applies it from there the same way: keeps
 * a copy in its namespace files and has its {@link Reconciler} run the parts the assignment gives
 * it. A create or update answers when the node that runs the namespace reports the new document
 * running or failed. Changes apply live, one at a time. A namespace that fails to start on create
 * is removed again (all or nothing); one that fails later is kept, reported with its error, and
 * tried again.
 *
 * <p>Why it is near 500 lines: it is the catalog's three changes (each validate, publish, wait)
 * and loading and applying documents, with their error messages; running namespaces is the
 * {@link Reconciler}'s job and where they run is {@link Placement}'s.
 */
public final class NamespaceManager implements PluginUsers {
  private static final Logger log = LoggerFactory.getLogger(NamespaceManager.class);

  /** A namespace as the admin API shows it. */
  /** A namespace as the admin API shows it; {@code stats} is empty when its backend cannot count ({@code CountingBackend}). */
  public record Status(NamespaceConfig config, JsonObject shownConfig, NamespaceState state, String error,
                       Optional<BackendStats> stats, String version) {
    public JsonObject toJson() {
      JsonObject json = new JsonObject().put("config", shownConfig).put("version", version)
          .put("state", state.label());
      if (error != null) {
        json.put("error", error);
      }
      stats.ifPresent(counts -> json.put("stats", new JsonObject().put("pending", counts.pending())
          .put("leased", counts.leased()).put("dead-letters", counts.deadLetters())
          .put("oldest-due-lag-ms", counts.oldestDueLagMs())));
      return json;
    }
  }

  private final Vertx vertx;
  private final PluginRegistry plugins;
  private final NamespaceStore store;
  private final ClusterState cluster;
  private final Reconciler runtimes;
  private final Placement placement;
  /** The checks that a delete or a move of the entries leaves none behind. */
  private final EmptyBeforeChange empty;
  /** Which version of each document this node heard of, and updates stored only while it is still that one. */
  private final DocumentVersions versions;
  private final String nodeId;
  /** The documents of the namespaces this node knows (every namespace of the mesh it could validate), by name. */
  private final Map<String, NamespaceConfig> configs = new ConcurrentHashMap<>();
  private final Map<Path, String> brokenFiles = new ConcurrentHashMap<>();
  /** Documents this node refused (e.g. a target type not installed here yet), by name; tried again when plugins change. */
  private final Map<String, String> rejectedDocs = new ConcurrentHashMap<>();
  /**
   * Every change (create, update, delete, a document from the cluster state, reconcile) runs one at
   * a time on the context that made this manager (the node's startup context): backends open
   * there, whichever thread asked (the admin API's event loop, a Hazelcast event).
   */
  private final SerialQueue changes;
  /** This node's answers to the nodes that take the writes of namespaces it delivers ({@link DeliveringNodeCounts}). */
  private final io.vertx.core.eventbus.MessageConsumer<Object> countsServed;
  /** Set by {@link #stopAll}: the node is stopping, and no runtime starts again (a periodic reconcile, a document). */
  private volatile boolean stopped;

  public NamespaceManager(Vertx vertx, PluginRegistry plugins, NamespaceStore store, Metrics metrics, ClusterState cluster,
                          io.walmesh.node.producer.LocalProducers producers) {
    this.changes = new SerialQueue(vertx.getOrCreateContext());
    this.nodeId = cluster.nodeId();
    this.vertx = vertx;
    this.plugins = plugins;
    this.store = store;
    this.cluster = cluster;
    this.runtimes = new Reconciler(vertx, plugins, metrics, cluster, producers);
    this.placement = new Placement(cluster, runtimes);
    DeliveringNodeCounts deliverers = new DeliveringNodeCounts(vertx);
    this.countsServed = deliverers.serve(nodeId, runtimes);
    this.empty = new EmptyBeforeChange(plugins, runtimes, placement, nodeId, deliverers);
    this.versions = new DocumentVersions(cluster, configs, rejectedDocs);
  }

  /** Runs changes one after another. */
  private <T> Future<T> serially(Supplier<Future<T>> operation) {
    return changes.submit(operation);
  }

  /**
   * Loads every stored namespace: seeds the cluster state with this node's copies, then takes the
   * cluster state's documents as the truth and runs what this node is assigned. A broken file is
   * reported, not fatal.
   */
  public Future<Void> loadAll() {
    return serially(() -> vertx.executeBlocking(store::files).compose(this::loadFiles)).compose(v -> mirror());
  }

  /**
   * Reads and checks the namespaces of these files and seeds them into the cluster state; a file
   * that fails is kept in {@link #brokenFiles} with why, and one already loaded is skipped.
   */
  private Future<Void> loadFiles(java.util.Collection<Path> files) {
    return vertx.executeBlocking(() -> {
      Map<Path, String> documents = new TreeMap<>();
      for (Path file : files) {
        documents.put(file, store.read(file));
      }
      return documents;
    }).compose(documents -> {
      List<Future<Void>> seeds = new ArrayList<>();
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
        NamespaceConfig loaded = withHome(config, null); // the log holding a pinned namespace is on this node's disk
        String name = loaded.name();
        configs.put(name, loaded);
        // seeds a restarted mesh; a namespace the mesh deleted while this node was away goes from here too
        seeds.add(cluster.seed(name, loaded.toJson().encode()).compose(seeded -> seeded != ClusterState.Seeded.DELETED
            ? Future.succeededFuture()
            // its entries too when they are on this node's disk: a namespace created again here under the name would
            // read them as its own
            : forgetDeleted(loaded, "was deleted from the mesh while this node was away; its copy here is removed")));
      });
      return Future.join(seeds).<Void>mapEmpty().recover(e -> Future.succeededFuture());
    });
  }

  /**
   * Forgets a namespace the cluster state removed: stops its runtime here, drops what this node
   * knows of it and its disk copy. Runs inside the serial queue. Quiet when already forgotten.
   */
  private Future<Void> forget(String name, String why) {
    return forget(name, why, false);
  }

  /** {@link #forget(String, String)}; {@code keepFile}: the disk copy stays, for the next start to finish the job. */
  private Future<Void> forget(String name, String why, boolean keepFile) {
    boolean known = rejectedDocs.remove(name) != null | configs.remove(name) != null;
    return runtimes.stop(name).compose(v -> keepFile ? Future.<Void>succeededFuture() : vertx.<Void>executeBlocking(() -> {
      store.delete(name);
      return null;
    })).onSuccess(v -> {
      if (known) {
        log.info("Namespace {} {}", name, why);
      }
    });
  }

  /**
   * Forgets a namespace removed from the cluster state by another node, and when it is pinned to this node, deletes
   * its entries from this node's disk: only this node can, and a namespace created again here under the name would
   * read them as its own. Runs inside the serial queue, so before any document of a namespace created again. (A
   * delete decided on this node has destroyed them and forgotten the namespace already.)
   */
  private Future<Void> forgetDeleted(NamespaceConfig config, String why) {
    String name = config.name();
    if (!pinnedToNode(config) || !nodeId.equals(config.homeNode())) {
      return forget(name, why);
    }
    // the runtime stops before its log is destroyed; the disk copy goes last, and stays when the log could not be
    // destroyed: the next start finds it, hears the namespace was deleted, and tries again
    return runtimes.stop(name).compose(v -> destroyStored(config))
        .compose(failed -> forget(name, failed == null ? why + ", with its entries" : why + "; its entries could not be"
            + " deleted yet (" + failed + ") and are deleted at this node's next start", failed != null));
  }

  /** Takes the cluster state's documents as the truth, keeps a copy of each on disk, and runs what this node is assigned. */
  private Future<Void> mirror() {
    return cluster.documents().compose(documents -> {
      List<Future<Void>> applied = new ArrayList<>();
      documents.forEach((name, json) -> applied.add(applyRemote(name, json)));
      configs.keySet().removeIf(name -> !documents.containsKey(name));
      return Future.join(applied).<Void>mapEmpty().recover(e -> Future.succeededFuture());
    });
  }

  /**
   * Applies a document change made on any node (this one too): keeps the local copy, and starts,
   * restarts or stops the namespace's runtime as the change and the assignment require.
   */
  public Future<Void> applyRemote(String name, String json) {
    return this.<Void>serially(() -> {
      if (json == null) {
        NamespaceConfig known = configs.get(name);
        return known == null ? forget(name, "removed") : forgetDeleted(known, "removed");
      }
      NamespaceConfig config;
      try {
        config = NamespaceConfig.parse(json);
        plugins.validate(config);
      } catch (ConfigException e) {
        runtimes.refused(name, "invalid on this node: " + e.getMessage());
        rejectedDocs.put(name, json); // tried again when plugin types are installed here
        log.error("Namespace {} cannot run on this node: {}", name, e.getMessage());
        return Future.succeededFuture();
      }
      rejectedDocs.remove(name);
      if (config.equals(configs.get(name))) {
        return stopped ? Future.succeededFuture() : runtimes.reconcile(config);
      }
      // store the new document first: if that fails, the old runtime keeps running untouched, and the document is not
      // taken as known, so that the same document arriving again (a PUT repeated) is tried again rather than skipped
      return vertx.<Void>executeBlocking(() -> {
        store.save(config);
        return null;
      }).compose(v -> {
        configs.put(name, config);
        // a stopping node keeps the document (its next start begins from it) and starts nothing
        return stopped ? Future.succeededFuture() : runtimes.restart(config);
      });
    });
  }

  /** Starts and stops runtimes so that this node runs exactly what the cluster state assigns it. */
  public Future<Void> reconcile() {
    return serially(() -> {
      if (stopped) {
        return Future.succeededFuture();
      }
      List<Future<Void>> steps = new ArrayList<>();
      for (NamespaceConfig config : List.copyOf(configs.values())) {
        steps.add(runtimes.reconcile(config));
      }
      return Future.join(steps).<Void>mapEmpty().recover(e -> Future.succeededFuture());
    });
  }

  /** A pinned namespace without a home node gets one: the node it was given on, or the one it had. */
  private NamespaceConfig withHome(NamespaceConfig config, NamespaceConfig old) {
    if (!pinnedToNode(config) || !config.homeNode().isEmpty()) {
      return config;
    }
    return config.withHomeNode(old == null || old.homeNode().isEmpty() ? nodeId : old.homeNode());
  }

  /**
   * Creates a namespace from its JSON document: publishes it, then waits (up to 30 s) for the node
   * that runs it to report; a namespace that fails to start there is removed again (all or nothing).
   */
  public Future<NamespaceConfig> create(JsonObject given) {
    NamespaceConfig config;
    try {
      // a new document has no stored secret to keep
      config = withHome(validate(Secrets.restore(given, new JsonObject())), null);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    String name = config.name();
    return cluster.putIfAbsent(name, config.toJson().encode()).recover(e -> Future.failedFuture(
        e instanceof ClusterState.BeingDeleted ? new NamespaceException(NamespaceException.Kind.CONFLICT, e.getMessage())
            : e)).compose(added -> {
      if (!added) {
        return Future.failedFuture(new NamespaceException(NamespaceException.Kind.ALREADY_EXISTS, "namespace "
            + name + " already exists; update it with PUT /v1/namespaces/" + name));
      }
      return awaitApplied(config, System.currentTimeMillis() + APPLY_WAIT_MS, 1).compose(state -> {
        if (state == null) {
          log.warn("Namespace {} created, but no node runs it yet (shard {} has no owner)", name, config.shard());
        } else if (NamespaceState.FAILED.label().equals(state.getString("state"))) {
          return cluster.remove(name).compose(v -> serially(() -> forget(name, "removed: it failed to start")))
              .transform(v -> Future.failedFuture(new NamespaceException(NamespaceException.Kind.CONFLICT, "namespace "
                  + name + " was not created: it failed to start on node " + state.getString("node") + ": "
                  + state.getString("error"))));
        }
        return Future.succeededFuture(config);
      });
    });
  }

  /** How long a create or update waits for the node that runs the namespace to report. */
  private static final long APPLY_WAIT_MS = 30_000;

  /**
   * The state a node reported for this version of the namespace's document, running or failed;
   * null when none did by the deadline.
   */
  private Future<JsonObject> awaitApplied(NamespaceConfig config, long deadline, long pauseMs) {
    String version = config.version();
    return cluster.state(config.name()).compose(state -> {
      if (state != null && version.equals(state.getString("version"))
          && (NamespaceState.RUNNING.label().equals(state.getString("state"))
              || NamespaceState.FAILED.label().equals(state.getString("state")))) {
        return Future.succeededFuture(state);
      }
      if (System.currentTimeMillis() > deadline) {
        return Future.succeededFuture(null);
      }
      return vertx.timer(pauseMs).compose(v -> awaitApplied(config, deadline, Math.min(100, pauseMs * 2)));
    });
  }

  /**
   * Replaces a namespace's document, keeping its entries; answers when the node that runs it has
   * restarted it with the new document (a failure to start with it is the answer's error).
   */
  public Future<NamespaceConfig> update(String name, JsonObject given) {
    return update(name, given, false);
  }

  /** {@link #update(String, JsonObject, boolean, String)} whatever the document's version. */
  public Future<NamespaceConfig> update(String name, JsonObject given, boolean force) {
    return update(name, given, force, null);
  }

  /**
   * {@link #update(String, JsonObject)}; an update that moves the namespace's entries to another place (another
   * backend type, broker, topic or queue: {@link PluginRegistry#sameStore}) is refused while it holds any, since the
   * stored ones would never be delivered, unless {@code force}. With {@code ifVersion} (the {@code version} a GET
   * showed), the update is made only while the document is still at that version.
   *
   * <p>The checks and the store run as one of this node's changes, so every document change this node has heard of
   * is applied before them and no other update or delete of this node runs between them; the store is a
   * compare-and-set against the document the checks were made on ({@link DocumentVersions}), so a change made
   * meanwhile on another node (a move, a delete) is refused rather than overwritten: an update checked against the
   * old place would otherwise give it back its writes, which nothing would deliver after the move.
   */
  public Future<NamespaceConfig> update(String name, JsonObject given, boolean force, String ifVersion) {
    boolean[] runs = new boolean[1];
    return this.<NamespaceConfig>serially(() -> versions.atVersionRead(name, ifVersion).compose(v -> {
      // "(redacted)" placeholders from an earlier GET keep the stored secrets
      NamespaceConfig stored = configs.get(name);
      NamespaceConfig parsed = validate(Secrets.restore(given, stored == null ? new JsonObject() : stored.toJson()));
      if (!parsed.name().equals(name)) {
        throw new ConfigException("name", "is \"" + parsed.name() + "\" but the request is for namespace \"" + name
            + "\"; a namespace cannot be renamed");
      }
      requireKnown(name);
      NamespaceConfig config = withHome(parsed, stored);
      runs[0] = runner(name).isPresent();
      DocumentVersions.Heard heard = versions.heard(name);
      if (force || empty.sameStore(stored, config) && (heard.refused() == null || heard.refusedParsed() != null
          && empty.sameStore(heard.refusedParsed(), config))) {
        return versions.store(heard, ifVersion, config);
      }
      if (heard.refused() != null) {
        throw new NamespaceException(NamespaceException.Kind.CONFLICT, "namespace " + name + ": its current document"
            + " (version " + heard.version() + ") cannot run on this node (" + runtimes.failure(name) + "), so the"
            + " entries stored under it cannot be counted here, and this update may move them elsewhere; update it"
            + " through a node that runs it, or with force=true");
      }
      return empty.beforeMoving(stored, config).compose(runtime -> versions.store(heard, ifVersion, config).onFailure(e -> {
        runtime.moving = false;
        runtime.resumeWrites();
      }));
    })).compose(config -> afterUpdate(name, config, runs[0]));
  }

  /**
   * Waits for the node that runs an updated namespace to restart it with its new document, and says when that
   * failed or has not happened on this node.
   */
  private Future<NamespaceConfig> afterUpdate(String name, NamespaceConfig config, boolean runs) {
    return (runs ? awaitApplied(config, System.currentTimeMillis() + APPLY_WAIT_MS, 1) : Future.<JsonObject>succeededFuture(null))
        .compose(state -> {
          NamespaceRuntime old = runtimes.runtime(name);
          if (old != null && old.moving) { // stored, but not applied here: its writes stay stopped rather than go to the old place
            log.error("Namespace {}: its new document is stored but this node has not restarted it on the new store;"
                + " it takes no writes until it does", name);
            return Future.failedFuture(new NamespaceException(NamespaceException.Kind.CONFLICT, "namespace " + name
                + " was updated, but this node has not restarted it on its new store yet; it takes no writes until it"
                + " does: see the node's log, and PUT the document again"));
          }
          return Future.succeededFuture(state);
        })
        .compose(state -> state != null && NamespaceState.FAILED.label().equals(state.getString("state"))
            ? Future.failedFuture(new NamespaceException(NamespaceException.Kind.CONFLICT, "namespace " + name
                + " was updated, but it failed to start with the new document on node " + state.getString("node") + ": "
                + state.getString("error") + "; it keeps the new document and is tried again every "
                + Reconciler.RETRY_AFTER_FAILURE_MS / 1000 + " s and on its next update"))
            : Future.succeededFuture(config));
  }

  /**
   * Removes a namespace and deletes its stored entries. Refused while entries are pending or
   * dead-lettered unless {@code force}.
   */
  public Future<String> delete(String name, boolean force) {
    return this.<String>serially(() -> {
      requireKnown(name);
      NamespaceRuntime runtime = runtimes.runtime(name);
      if (runtime == null && !force) {
        throw new NamespaceException(NamespaceException.Kind.CONFLICT, "namespace " + name + " is not running on any"
            + " node (" + Optional.ofNullable(runtimes.failure(name)).orElse("starting")
            + "), so its stored entries cannot be counted; delete it with force=true");
      }
      if (runtime == null && !runtimes.runsAnyPart(configs.get(name))) {
        NamespaceConfig config = configs.get(name);
        if (pinnedToNode(config)) { // its log is on its home node's disk, which that node deletes when it hears of it
          return cluster.remove(name).compose(v -> forget(name, "deleted")).map(v -> (String) null);
        }
        // no node runs it here (a node assigned it may be starting it, and stops at the removal): the document goes
        // first, then the shared store (topics, queues), so that a namespace created again under the name, on the
        // same topics or queues, does not inherit the deleted one's entries
        return cluster.removeBeforeDestroy(name, DESTROY_GUARD_MS).compose(v -> forget(name, "deleted").recover(e -> {
              log.warn("Namespace {}: deleted, but forgetting it here failed ({}); its store is destroyed anyway", name,
                  e.toString());
              return Future.succeededFuture();
            }))
            .compose(v -> destroyRemoved(config));
      }
      if (force) {
        return destroy(name);
      }
      return empty.beforeDelete(runtime, configs.get(name)).compose(v -> destroy(name));
    });
  }

  /**
   * Destroys the namespace's stored entries and removes its document here and from the cluster state: the entries
   * first when this node delivers it, the document first when other nodes may.
   */
  private Future<String> destroy(String name) {
    NamespaceRuntime runtime = runtimes.take(name);
    NamespaceConfig config = configs.get(name);
    if (runtime == null || !runtime.consumer) {
      // other nodes may deliver it, and read its store until its document is gone: remove the document first, then
      // destroy the store (Kafka does not delete a consumer group that has members, and a consumer still polling a
      // deleted topic could have it created again)
      Future<Void> stopped = runtime == null ? Future.succeededFuture() : runtime.stop();
      return stopped.compose(v -> removeDocument(name, true)).compose(v -> destroyRemoved(config));
    }
    return runtime.destroy().compose(v -> removeDocument(name, false)).map(v -> (String) null);
  }

  /**
   * How long a create of a deleted namespace's name is refused while its store, removed after its document, is being
   * destroyed (Kafka waits up to 30 s for its consumer groups to empty); a node that dies meanwhile frees it then.
   */
  private static final long DESTROY_GUARD_MS = 120_000;

  /**
   * Removes a deleted namespace's document here and from the cluster state; {@code destroyNext}: its store is
   * destroyed after, and the name cannot be created again until it is ({@link ClusterState#removeBeforeDestroy}).
   */
  private Future<Void> removeDocument(String name, boolean destroyNext) {
    return vertx.executeBlocking(() -> {
      store.delete(name);
      return null;
    }).compose(v -> destroyNext ? cluster.removeBeforeDestroy(name, DESTROY_GUARD_MS) : cluster.remove(name)).<Void>map(v -> {
      configs.remove(name);
      log.atInfo().addKeyValue("namespace", name).log("Namespace {} deleted", name);
      return null;
    });
  }

  /**
   * Deletes the stored entries of a namespace that is not running; answers null when they are deleted, or why not (a
   * failure is logged, never fatal: the namespace is gone either way).
   */
  private Future<String> destroyStored(NamespaceConfig config) {
    Future<Void> destroyed;
    try {
      // opened as a node that does not deliver it: no consumer joins its group (and moves entries) to destroy it
      destroyed = plugins.backend(config.backendType()).open(plugins.spec(config, false)).compose(Backend::destroy);
    } catch (RuntimeException e) {
      destroyed = Future.failedFuture(e);
    }
    return destroyed.<String>map(v -> null).recover(e -> {
      log.warn("Namespace {}: its stored entries could not be deleted ({}); they stay in the backend", config.name(),
          e.getMessage());
      return Future.succeededFuture(String.valueOf(e.getMessage()));
    });
  }

  /**
   * Destroys the store of a namespace whose document is removed ({@link ClusterState#removeBeforeDestroy}), then frees
   * its name; a delete's answer: null, or a warning when the namespace is gone but its stored entries could not be
   * deleted.
   */
  private Future<String> destroyRemoved(NamespaceConfig config) {
    return destroyStored(config).compose(failed -> cluster.destroyed(config.name()).transform(v ->
        Future.succeededFuture(failed == null ? null : "namespace " + config.name() + " is deleted, but its stored"
            + " entries could not be deleted from its " + config.backendType() + " backend (" + failed + "); delete"
            + " its topics or queues by hand before creating a namespace on them again, or it inherits them")));
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

  static NamespaceException notFound(String name) {
    return new NamespaceException(NamespaceException.Kind.NOT_FOUND, "namespace " + name + " does not exist");
  }

  /**
   * Whether the namespace's entries live on one node's disk (its backend type says so,
   * {@code nodeLocal()}), so that node, its home node, must run it.
   */
  public boolean pinnedToNode(NamespaceConfig config) {
    return runtimes.pinnedToNode(config);
  }

  public boolean exists(String name) {
    return configs.containsKey(name);
  }

  public Optional<Status> status(String name) {
    NamespaceConfig config = configs.get(name);
    return config == null ? Optional.empty() : Optional.of(runtimes.status(config, redacted(config), versions.heard(name).version()));
  }

  /** Why some namespace running here cannot store writes durably now (its backend says so), or empty. */
  public Optional<String> storageUnavailable() {
    return runtimes.storageUnavailable();
  }

  public List<Status> list() {
    return new TreeMap<>(configs).keySet().stream().map(this::status).flatMap(Optional::stream).toList();
  }

  /** Whether this node runs the namespace (any part of it). */
  public boolean runsHere(String name) {
    return runtimes.runtime(name) != null;
  }

  /**
   * A node that runs the namespace: its consumer first (which holds its DLQ), then its producer; a
   * pinned namespace's home node. Empty when no live node does.
   */
  public Optional<String> runner(String name) {
    return Optional.ofNullable(configs.get(name)).flatMap(placement::runner);
  }

  /** Whether this node takes the namespace's writes (runs its producer). */
  public boolean takesWritesHere(String name) {
    NamespaceRuntime runtime = runtimes.runtime(name);
    return runtime != null && runtime.producer;
  }

  /** The live node that takes the namespace's writes; empty when none does (see {@link Placement#writer}). */
  public Optional<String> writer(String name) {
    return Optional.ofNullable(configs.get(name)).flatMap(placement::writer);
  }

  /** Why no node takes writes for a namespace, for the gateway's UNAVAILABLE answer. */
  public String whyUnavailable(String name) {
    NamespaceConfig config = configs.get(name);
    return config == null ? "" : placement.whyUnavailable(config);
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
    NamespaceRuntime runtime = runtimes.runtime(name);
    if (runtime == null) {
      throw new NamespaceException(NamespaceException.Kind.CONFLICT, "namespace " + name + " is not running: "
          + Optional.ofNullable(runtimes.failure(name)).orElse("starting"));
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
    return serially(() -> runtimes.restartDeliveries(targetTypes).transform(ignored -> loadRejected()));
  }

  /**
   * Tries again the documents and namespace files this node refused for a reason that may have
   * gone (a target type installed since, e.g.); those that still fail stay reported.
   */
  private Future<Void> loadRejected() {
    // queued behind this change, not awaited: it runs through the same one-at-a-time queue
    Map.copyOf(rejectedDocs).forEach(this::applyRemote);
    return brokenFiles.isEmpty() ? Future.succeededFuture() : loadFiles(List.copyOf(brokenFiles.keySet()));
  }

  /** Stops every namespace, draining in-flight work; entries stay stored. */
  public Future<Void> stopAll() {
    stopped = true; // set now: a reconcile or a document queued behind this step starts nothing afterwards
    return serially(runtimes::stopAll).eventually(() -> countsServed.unregister().recover(e -> Future.succeededFuture()));
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
