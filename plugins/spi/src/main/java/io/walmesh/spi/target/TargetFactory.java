package io.walmesh.spi.target;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.walmesh.spi.PluginContext;
import io.walmesh.spi.config.ConfigException;

/**
 * Creates targets of one type (e.g. {@code http}).
 *
 * <ol>
 *   <li>{@link #type()} MUST be a constant, lowercase name; it is what namespace configs refer to.</li>
 *   <li>{@link #validate} MUST throw {@link ConfigException} naming the bad field (using
 *       {@code configPath} as its prefix) and MUST NOT touch any external system.</li>
 *   <li>{@link #create} MUST NOT block; connections are opened lazily or asynchronously.</li>
 *   <li>{@link #close()} MUST release what {@link #init} acquired; the node calls it after every
 *       target the factory created was closed (on node stop, or when a hot-loaded plugin is
 *       upgraded or removed).</li>
 * </ol>
 */
public interface TargetFactory {

  /** The target type name used in namespace configs. */
  String type();

  /** One line describing the target, shown by the admin API. */
  default String description() {
    return type() + " target";
  }

  /** Binds the factory to the node; called once before any other method but {@link #type()}. */
  default Future<Void> init(PluginContext context) {
    return Future.succeededFuture();
  }

  /** Checks a target's config; throws {@link ConfigException} naming the bad field. */
  void validate(JsonObject config, String configPath);

  /** Creates a target instance for one namespace's target entry. */
  Target create(PluginContext context, String name, JsonObject config);

  /** Releases what {@link #init} acquired. */
  default Future<Void> close() {
    return Future.succeededFuture();
  }
}
