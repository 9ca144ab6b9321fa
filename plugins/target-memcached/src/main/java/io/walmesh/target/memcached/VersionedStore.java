package io.walmesh.target.memcached;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.walmesh.spi.target.DeliveryException;
import io.walmesh.target.memcached.client.Item;
import io.walmesh.target.memcached.client.MemcachedClient;
import io.walmesh.target.memcached.client.MemcachedNode;
import io.walmesh.target.memcached.client.StoreResult;

/**
 * Set, delete and touch, versioned through a sidecar key {@code <key>:walmesh-version} that holds
 * the {@link Version} of the last set or delete applied to {@code <key>}; readers of {@code <key>}
 * see the plain value. Both keys hash to the same server (by {@code <key>}).
 *
 * <ol>
 *   <li>A write first reads the version (and, for set and touch, the value with its cas unique); an
 *       entry older than the stored version is skipped (superseded).</li>
 *   <li>It then claims the version key with {@code cas} (or {@code add} when absent): the claim fails,
 *       and the round starts over, if any other writer claimed in between.</li>
 *   <li>A set writes the value with {@code cas} against the unique read before its claim (or
 *       {@code add} when the value was absent): a newer writer that claimed afterwards has changed
 *       or removed the value, so a late older write fails and, on the next round, sees it lost.</li>
 *   <li>A delete claims a tombstone version (kept for {@code tombstone-retention-s}) and then removes
 *       the value with a {@code cas} to an already expired item, but only after re-reading that the
 *       tombstone is still the newest version: a newer set is never removed.</li>
 *   <li>A set that used {@code add} re-reads the version and, when a newer tombstone arrived meanwhile,
 *       removes what it added the same way; any write that finds a tombstone newer than itself does too,
 *       so an interrupted write is repaired by its own redelivery.</li>
 * </ol>
 * Each operation gives up after {@value #MAX_ROUNDS} rounds of contention (a retryable failure).
 */
final class VersionedStore {
  /** Compare-and-set rounds before a write gives up. */
  static final int MAX_ROUNDS = 16;
  /** memcached's exptime for an item that is expired at once (protocol.txt: "a negative value"). */
  static final int EXPIRED = -1;
  /** The largest exptime memcached reads as relative seconds; larger ones are absolute epoch seconds. */
  static final long MAX_RELATIVE_EXPTIME = 30L * 24 * 3_600;

  /** What a write did. */
  enum Outcome {
    /** The entry's change is in memcached. */
    APPLIED,
    /** A newer entry (or a newer delete's tombstone) is already there; nothing changed. */
    SUPERSEDED,
    /** A touch found no value to touch. */
    ABSENT
  }

  /** One write's fixed inputs. */
  private record Write(MemcachedNode node, String key, String versionKey, Version version, Buffer value, long flags,
                       long ttlS) {
  }

  private final MemcachedClient client;
  private final int tombstoneRetentionS;

  VersionedStore(MemcachedClient client, int tombstoneRetentionS) {
    this.client = client;
    this.tombstoneRetentionS = tombstoneRetentionS;
  }

  /** Stores {@code value} under {@code key} unless a newer version is there. */
  Future<Outcome> set(String key, Buffer value, long flags, long ttlS, Version version) {
    return set(write(key, version, value, flags, ttlS), 1);
  }

  /** Removes {@code key} and leaves a tombstone, unless a newer version is there. */
  Future<Outcome> delete(String key, Version version) {
    return delete(write(key, version, null, 0, 0), 1);
  }

  /** Gives {@code key}'s value a new time to live, unless a newer version is there. */
  Future<Outcome> touch(String key, long ttlS, Version version) {
    return touch(write(key, version, null, 0, ttlS), 1);
  }

  private Write write(String key, Version version, Buffer value, long flags, long ttlS) {
    return new Write(client.nodeFor(key), key, key + MemcachedTargetOptions.VERSION_SUFFIX, version, value, flags, ttlS);
  }

  private Future<Outcome> set(Write w, int round) {
    if (round > MAX_ROUNDS) {
      return contention(w);
    }
    Future<Item> versionRead = w.node.gets(w.versionKey);
    Future<Item> valueRead = w.node.gets(w.key);
    return Future.all(versionRead, valueRead).compose(read -> {
      Item versionItem = versionRead.result();
      Item valueItem = valueRead.result();
      Version current = versionItem == null ? null : Version.decode(versionItem.data());
      if (current != null && current.isNewerThan(w.version)) {
        return superseded(w, current);
      }
      if (current != null && current.compareTo(w.version) == 0 && valueItem != null && valueItem.flags() == w.flags
          && valueItem.data().equals(w.value)) {
        return Future.succeededFuture(Outcome.APPLIED);
      }
      return claim(w, versionItem, w.version.encode(), versionExptime(w.ttlS)).compose(claimed -> {
        if (!claimed) {
          return set(w, round + 1);
        }
        Future<StoreResult> stored = valueItem == null ? w.node.add(w.key, w.flags, exptime(w.ttlS), w.value)
            : w.node.cas(w.key, w.flags, exptime(w.ttlS), w.value, valueItem.cas());
        return stored.compose(result -> result != StoreResult.STORED ? set(w, round + 1)
            : valueItem == null ? checkAfterAdd(w) : Future.succeededFuture(Outcome.APPLIED));
      });
    });
  }

  private Future<Outcome> checkAfterAdd(Write w) {
    return w.node.gets(w.versionKey).compose(versionItem -> {
      Version current = versionItem == null ? null : Version.decode(versionItem.data());
      return current != null && current.tombstone() && current.isNewerThan(w.version) ? superseded(w, current)
          : Future.succeededFuture(Outcome.APPLIED);
    });
  }

  private Future<Outcome> delete(Write w, int round) {
    if (round > MAX_ROUNDS) {
      return contention(w);
    }
    return w.node.gets(w.versionKey).compose(versionItem -> {
      Version current = versionItem == null ? null : Version.decode(versionItem.data());
      if (current != null && current.isNewerThan(w.version)) {
        return superseded(w, current);
      }
      return claim(w, versionItem, w.version.encode(), exptime(tombstoneRetentionS)).compose(claimed -> claimed
          ? removeUnderTombstone(w, 1).map(Outcome.APPLIED) : delete(w, round + 1));
    });
  }

  private Future<Outcome> touch(Write w, int round) {
    if (round > MAX_ROUNDS) {
      return contention(w);
    }
    Future<Item> versionRead = w.node.gets(w.versionKey);
    Future<Item> valueRead = w.node.gets(w.key);
    return Future.all(versionRead, valueRead).compose(read -> {
      Item versionItem = versionRead.result();
      Item valueItem = valueRead.result();
      Version current = versionItem == null ? null : Version.decode(versionItem.data());
      if (current != null && (current.tombstone() || current.isNewerThan(w.version))) {
        return superseded(w, current);
      }
      if (valueItem == null) {
        return Future.succeededFuture(Outcome.ABSENT);
      }
      Future<Boolean> claimed = versionItem == null ? Future.succeededFuture(true)
          : claim(w, versionItem, versionItem.data(), versionExptime(w.ttlS));
      return claimed.compose(ok -> !ok ? touch(w, round + 1)
          : w.node.cas(w.key, valueItem.flags(), exptime(w.ttlS), valueItem.data(), valueItem.cas())
              .compose(result -> result == StoreResult.STORED ? Future.succeededFuture(Outcome.APPLIED) : touch(w, round + 1)));
    });
  }

  /** Writes the version key with {@code cas} against {@code read} (or {@code add} when absent); true when it won. */
  private Future<Boolean> claim(Write w, Item read, Buffer content, int exptime) {
    Future<StoreResult> stored = read == null ? w.node.add(w.versionKey, 0, exptime, content)
        : w.node.cas(w.versionKey, read.flags(), exptime, content, read.cas());
    return stored.map(result -> result == StoreResult.STORED);
  }

  private Future<Outcome> superseded(Write w, Version current) {
    return current.tombstone() ? removeUnderTombstone(w, 1).map(Outcome.SUPERSEDED)
        : Future.succeededFuture(Outcome.SUPERSEDED);
  }

  /** Removes the value while the newest version is a tombstone: read the value, re-check the tombstone, expire by cas. */
  private Future<Void> removeUnderTombstone(Write w, int round) {
    if (round > MAX_ROUNDS) {
      return contention(w).mapEmpty();
    }
    return w.node.gets(w.key).compose(valueItem -> valueItem == null ? Future.succeededFuture()
        : w.node.gets(w.versionKey).compose(versionItem -> {
          Version current = versionItem == null ? null : Version.decode(versionItem.data());
          if (current == null || !current.tombstone()) {
            return Future.succeededFuture();
          }
          return w.node.cas(w.key, valueItem.flags(), EXPIRED, Buffer.buffer(), valueItem.cas())
              .compose(result -> result == StoreResult.STORED ? Future.succeededFuture() : removeUnderTombstone(w, round + 1));
        }));
  }

  private <T> Future<T> contention(Write w) {
    return Future.failedFuture(DeliveryException.retryable("memcached " + w.node.address() + ": gave up on key \""
        + MemcachedPayload.abbreviate(w.key) + "\" after " + MAX_ROUNDS + " compare-and-set rounds; other writers keep changing it"));
  }

  /** The version key's exptime for a value living {@code ttlS}: the value's life plus the tombstone retention. */
  private int versionExptime(long ttlS) {
    return ttlS == 0 ? 0 : exptime(ttlS + tombstoneRetentionS);
  }

  /** memcached's exptime for {@code seconds} from now: relative up to 30 days, else absolute epoch seconds. */
  static int exptime(long seconds) {
    if (seconds <= MAX_RELATIVE_EXPTIME) {
      return (int) seconds;
    }
    return (int) Math.min(Integer.MAX_VALUE, System.currentTimeMillis() / 1_000 + seconds);
  }
}
