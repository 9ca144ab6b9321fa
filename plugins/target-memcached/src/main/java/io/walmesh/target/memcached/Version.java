package io.walmesh.target.memcached;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * The version of a key's last applied set or delete, kept in the sidecar version key as
 * {@code <writeTimeMs> <s|d> <entryId>}. Versions order by write time, then by entry id, so every
 * node picks the same winner between two entries written in the same millisecond.
 *
 * @param writeTimeMs the entry's write time (epoch ms)
 * @param entryId the entry's id
 * @param tombstone true for a delete
 */
record Version(long writeTimeMs, String entryId, boolean tombstone) implements Comparable<Version> {

  /** The sidecar form. */
  Buffer encode() {
    return Buffer.buffer(writeTimeMs + (tombstone ? " d " : " s ") + entryId, StandardCharsets.UTF_8.name());
  }

  /** Reads the sidecar form; {@code null} when it is not one (the key then counts as unversioned). */
  static Version decode(Buffer data) {
    String text = data.toString(StandardCharsets.UTF_8);
    int first = text.indexOf(' ');
    if (first <= 0 || text.length() < first + 3 || text.charAt(first + 2) != ' ') {
      return null;
    }
    char kind = text.charAt(first + 1);
    if (kind != 's' && kind != 'd') {
      return null;
    }
    try {
      return new Version(Long.parseLong(text.substring(0, first)), text.substring(first + 3), kind == 'd');
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** Whether this version is newer than {@code other}; an absent version is older than any. */
  boolean isNewerThan(Version other) {
    return other == null || compareTo(other) > 0;
  }

  @Override
  public int compareTo(Version other) {
    int byTime = Long.compare(writeTimeMs, other.writeTimeMs);
    return byTime != 0 ? byTime : entryId.compareTo(other.entryId);
  }

  @Override
  public String toString() {
    return (tombstone ? "delete@" : "set@") + writeTimeMs + "/" + entryId;
  }
}
