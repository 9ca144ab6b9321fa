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

  /**
   * The fields of this type's config that hold secrets, as dotted paths inside the config (for
   * example {@code "sasl.dsn"}; a path segment may itself contain dots when the config has such a
   * key, as Kafka client properties do). walmesh shows {@code (redacted)} in their place in every
   * admin API answer, in addition to the fields whose names always count as secret (password,
   * secret, token, authorization, API key, credentials, private or access key, JAAS config) and
   * URL userinfo. Declare a secret whose field name does not say so.
   */
  default java.util.Set<String> secretFields() {
    return java.util.Set.of();
  }
}
