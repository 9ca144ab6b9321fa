package io.walmesh.spi.backend;

import io.vertx.core.Future;
import io.walmesh.spi.PluginContext;
import io.walmesh.spi.config.ConfigException;

/**
 * Creates the backends of one type (e.g. {@code local}, {@code kafka}). One factory instance
 * serves all namespaces of its type on a node.
 *
 * <ol>
 *   <li>{@link #type()} MUST be a constant, lowercase name; it is what namespace configs refer to.</li>
 *   <li>{@link #validate} MUST throw {@link ConfigException} naming the bad field, and MUST NOT touch
 *       any external system.</li>
 *   <li>{@link #open} MUST complete only when the backend can append and poll.</li>
 *   <li>{@link #close()} MUST release everything the factory holds after all its backends closed.</li>
 * </ol>
 */
public interface BackendFactory {

  /** The backend type name used in namespace configs. */
  String type();

  /** Binds the factory to the node; called once before any other method. */
  default Future<Void> init(PluginContext context) {
    return Future.succeededFuture();
  }

  /** Checks a namespace's backend config; throws {@link ConfigException} naming the bad field. */
  void validate(BackendSpec spec);

  /** Opens the backend of one namespace. */
  Future<Backend> open(BackendSpec spec);

  /** Releases the factory's shared resources. */
  default Future<Void> close() {
    return Future.succeededFuture();
  }
}
