package io.walmesh.target.memcached.client;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Ketama consistent hashing (as in libmemcached, spymemcached and EVCache): each server gets 160
 * points on a 32-bit ring from MD5 digests of {@code "host:port-i"}, and a key belongs to the first
 * point at or after the MD5 hash of the key. Adding or removing one of n servers moves about 1/n of
 * the keys.
 *
 * @param <T> what a server is represented by
 */
final class HashRing<T> {
  private static final int POINTS_PER_SERVER = 160;
  private final TreeMap<Long, T> ring = new TreeMap<>();

  /** Builds the ring; {@code names} and {@code servers} are parallel lists. */
  HashRing(List<String> names, List<T> servers) {
    for (int s = 0; s < servers.size(); s++) {
      for (int i = 0; i < POINTS_PER_SERVER / 4; i++) {
        byte[] digest = md5(names.get(s) + "-" + i);
        for (int h = 0; h < 4; h++) {
          ring.put(point(digest, h), servers.get(s));
        }
      }
    }
  }

  /** The server that owns {@code key}. */
  T serverFor(String key) {
    if (ring.size() <= POINTS_PER_SERVER) {
      return ring.firstEntry().getValue();
    }
    Map.Entry<Long, T> entry = ring.ceilingEntry(point(md5(key), 0));
    return entry != null ? entry.getValue() : ring.firstEntry().getValue();
  }

  private static long point(byte[] digest, int h) {
    return ((long) (digest[3 + h * 4] & 0xFF) << 24) | ((long) (digest[2 + h * 4] & 0xFF) << 16)
        | ((long) (digest[1 + h * 4] & 0xFF) << 8) | (digest[h * 4] & 0xFF);
  }

  private static byte[] md5(String value) {
    try {
      return MessageDigest.getInstance("MD5").digest(value.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no MD5", e);
    }
  }
}
