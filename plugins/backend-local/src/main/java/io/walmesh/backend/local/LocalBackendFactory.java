package io.walmesh.backend.local;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.walmesh.spi.PluginContext;
import io.walmesh.spi.backend.Backend;
import io.walmesh.spi.backend.BackendFactory;
import io.walmesh.spi.backend.BackendSpec;
import io.walmesh.spi.config.ConfigReader;
import java.util.Set;

/**
 * The {@code local} backend type: every local namespace of the node shares one {@link LocalLog}
 * under {@code <data-dir>/plugins/local/log}. Durability is always fsync-before-acknowledge, with
 * group commit. Its one option, {@code retention-ms} (default 0, at most a year), keeps delivered
 * entries that long so they can be replayed.
 */
public final class LocalBackendFactory implements BackendFactory {
  public static final String TYPE = "local";

  private Vertx vertx;
  private LocalLog log;

  @Override
  public String type() {
    return TYPE;
  }

  /** The log is on this node's disk: a local namespace is pinned to the node that created it. */
  @Override
  public boolean nodeLocal() {
    return true;
  }

  @Override
  public Future<Void> init(PluginContext context) {
    vertx = context.vertx();
    return vertx.executeBlocking(() -> {
      log = new LocalLog(context.dataDir().resolve("log"));
      return null;
    });
  }

  /** The most {@code retention-ms} may be: a year. */
  static final long MAX_RETENTION_MS = 365L * 86_400_000L;

  @Override
  public void validate(BackendSpec spec) {
    retentionMs(spec);
  }

  /** How long delivered entries are kept for replay; checks the backend config, naming a bad field. */
  static long retentionMs(BackendSpec spec) {
    ConfigReader reader = new ConfigReader(spec.config(), spec.configPath());
    reader.rejectUnknown(Set.of("retention-ms"));
    return reader.optLong("retention-ms", 0, 0, MAX_RETENTION_MS);
  }

  /** Always: a namespace's entries are in the node's log under its name, whatever its config says. */
  @Override
  public boolean sameStore(BackendSpec before, BackendSpec after) {
    return true;
  }

  @Override
  public Future<Backend> open(BackendSpec spec) {
    if (log == null) {
      return Future.failedFuture(new IllegalStateException("the local backend is not initialised"));
    }
    return new LocalBackend(vertx, log, spec).load();
  }

  /** The node's log (tests). */
  LocalLog log() {
    return log;
  }

  /** How many synced writes the log made so far; fewer than appends when group commit works. */
  public long syncedWrites() {
    return log == null ? 0 : log.syncedWrites();
  }

  @Override
  public Future<Void> close() {
    LocalLog toClose = log;
    log = null;
    return toClose == null ? Future.succeededFuture() : vertx.executeBlocking(() -> {
      toClose.close();
      return null;
    });
  }
}
