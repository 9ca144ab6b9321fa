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

  /**
   * Whether this type keeps a namespace's entries on the disk of the node that opened it (as
   * {@code local} does): such a namespace is pinned to that node in a mesh and never moves to
   * another. False (the default): the entries live in a system every node reaches (Kafka, SQS), so
   * the namespace's shard may move between nodes.
   */
  default boolean nodeLocal() {
    return false;
  }

  /**
   * Whether a namespace of this type keeps its entries in the same place under {@code after} as under {@code before}
   * (the same broker and topics, the same queues). An update that changes the place would leave the stored entries
   * where no consumer reads them, so walmesh refuses it while the namespace holds any, unless forced; a change of
   * anything else (tuning) applies freely. The default: the same place only when the config is the same.
   */
  default boolean sameStore(BackendSpec before, BackendSpec after) {
    return before.config().equals(after.config());
  }

  /** Releases the factory's shared resources. */
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
