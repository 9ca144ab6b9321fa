package io.walmesh.backend.support;

import io.vertx.core.Future;
import io.walmesh.spi.PluginContext;
import io.walmesh.spi.backend.BackendFactory;

/**
 * A backend factory that keeps its namespaces' idempotency keys in the node's
 * {@link IdempotencyStore} under {@code <plugin data dir>/idempotency}: opened in {@link #init},
 * closed in {@link #close}.
 */
public abstract class IdempotentBackendFactory implements BackendFactory {
  private PluginContext context;
  private IdempotencyStore idempotency;

  @Override
  public Future<Void> init(PluginContext context) {
    this.context = context;
    return context.vertx().executeBlocking(() -> {
      idempotency = new IdempotencyStore(context.dataDir().resolve("idempotency"));
      return null;
    });
  }

  @Override
  public Future<Void> close() {
    IdempotencyStore store = idempotency;
    idempotency = null;
    return store == null ? Future.succeededFuture() : context.vertx().executeBlocking(() -> {
      store.close();
      return null;
    });
  }

  protected PluginContext context() {
    return context;
  }

  protected IdempotencyStore idempotency() {
    return idempotency;
  }

  /** The innermost cause's message: what a person needs to read in a log line or an error. */
  public static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }
}
