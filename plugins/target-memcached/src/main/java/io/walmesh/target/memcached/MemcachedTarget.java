package io.walmesh.target.memcached;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.walmesh.spi.PluginContext;
import io.walmesh.spi.target.Delivery;
import io.walmesh.spi.target.DeliveryException;
import io.walmesh.spi.target.Target;
import io.walmesh.target.memcached.client.MemcachedClient;
import io.walmesh.target.memcached.client.MemcachedException;

/**
 * Applies each entry's {@link MemcachedPayload set / delete / touch} to memcached, EVCache-style.
 *
 * <p><b>Versioning.</b> Every set and delete records its version ({@link Delivery#writeTimeMs()},
 * then {@link Delivery#entryId()} to break ties) in a sidecar key {@code <key>:walmesh-version} on the
 * same server, written with {@code gets}/{@code cas}/{@code add} (see {@link VersionedStore}). Readers
 * of {@code <key>} see the plain value and flags. So:
 * <ul>
 *   <li>a redelivered entry is applied at most once more with the same result (a set whose value is
 *       already in place writes nothing);</li>
 *   <li>an entry older than the key's version is skipped, also when it races a newer one;</li>
 *   <li>a delete leaves a tombstone version for {@code tombstone-retention-s}; a set's version lives
 *       for its ttl plus that retention (forever with no ttl);</li>
 *   <li>a touch changes the value's ttl only when no newer set or delete is there; it records no version.</li>
 * </ul>
 *
 * <p><b>Limits</b> (memcached has no multi-key transactions and may evict anything):
 * <ul>
 *   <li>once a version key expires or is evicted (LRU, restart, {@code flush_all}), an older entry
 *       delivered after that is applied as if new;</li>
 *   <li>a set that added a value and stopped (node crash) before checking for a newer delete leaves
 *       the old value until its ttl or until the key's next write or redelivery;</li>
 *   <li>a set older than a touch but newer than the touched value replaces it with its own ttl;</li>
 *   <li>ttls above 30 days are sent as absolute times computed with this node's clock;</li>
 *   <li>with several servers there is no failover: a down server's keys fail (and are retried) until
 *       it is back, since moving them would lose their versions.</li>
 * </ul>
 *
 * <p><b>Failures.</b> A bad payload, a bad key (over 250 bytes with the prefix and version suffix,
 * spaces, control characters), a value over {@code max-value-bytes}, a {@code SERVER_ERROR object too
 * large} or a {@code CLIENT_ERROR} is PERMANENT; refused connections, timeouts, lost connections and
 * other server errors are RETRYABLE.
 */
final class MemcachedTarget implements Target {
  private static final System.Logger LOG = System.getLogger(MemcachedTarget.class.getName());

  private final String name;
  private final MemcachedTargetOptions options;
  private final MemcachedClient client;
  private final VersionedStore store;

  MemcachedTarget(PluginContext context, String name, MemcachedTargetOptions options) {
    this.name = name;
    this.options = options;
    this.client = new MemcachedClient(context.vertx(), options.servers, options.timeoutMs, options.maxConnections);
    this.store = new VersionedStore(client, options.tombstoneRetentionS);
  }

  @Override
  public Future<Void> deliver(Delivery delivery) {
    MemcachedPayload payload;
    try {
      payload = MemcachedPayload.parse(delivery, options);
    } catch (DeliveryException e) {
      return Future.failedFuture(e);
    }
    Version version = new Version(delivery.writeTimeMs(), delivery.entryId(), payload.op() == MemcachedPayload.Op.DELETE);
    Future<VersionedStore.Outcome> done = switch (payload.op()) {
      case SET -> store.set(payload.key(), payload.value(), payload.flags(), payload.ttlS(), version);
      case DELETE -> store.delete(payload.key(), version);
      case TOUCH -> store.touch(payload.key(), payload.ttlS(), version);
    };
    Future<Void> result = done.map(outcome -> {
      LOG.log(System.Logger.Level.DEBUG, () -> "target " + name + ": " + payload.op() + " " + payload.key() + " "
          + version + " -> " + outcome);
      return (Void) null;
    }).recover(e -> Future.failedFuture(classify(e, payload)));
    return onContext(Vertx.currentContext(), result);
  }

  /** Completes on the caller's context, as Vert.x clients do (the client's futures complete on its sockets' event loops). */
  private static Future<Void> onContext(Context caller, Future<Void> result) {
    if (caller == null) {
      return result;
    }
    Promise<Void> promise = Promise.promise();
    result.onComplete(ar -> {
      if (Vertx.currentContext() == caller) {
        promise.handle(ar);
      } else {
        caller.runOnContext(v -> promise.handle(ar));
      }
    });
    return promise.future();
  }

  private static Throwable classify(Throwable failure, MemcachedPayload payload) {
    if (failure instanceof DeliveryException) {
      return failure;
    }
    String what = payload.op().name().toLowerCase() + " of key \"" + MemcachedPayload.abbreviate(payload.key()) + "\"";
    if (failure instanceof MemcachedException e) {
      if (e.kind() == MemcachedException.Kind.SERVER_ERROR && e.getMessage().contains("too large")) {
        return DeliveryException.permanent(what + (payload.value() == null ? "" : " (" + payload.value().length()
            + "-byte value)") + " rejected: " + e.getMessage() + "; the server's item size limit (-I) is smaller");
      }
      if (e.kind() == MemcachedException.Kind.CLIENT_ERROR) {
        return DeliveryException.permanent(what + " rejected: " + e.getMessage());
      }
      return DeliveryException.retryable(what + " failed: " + e.getMessage());
    }
    return DeliveryException.retryable(what + " failed: " + failure);
  }

  @Override
  public Future<Void> close() {
    return client.close();
  }
}
