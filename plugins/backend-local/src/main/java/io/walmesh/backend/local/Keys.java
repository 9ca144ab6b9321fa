package io.walmesh.backend.local;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Key layout of the local log: {@code namespace 0x00 suffix}, with sequences as 8 big-endian bytes. */
final class Keys {
  private Keys() {
  }

  /** The prefix shared by all keys of a namespace in one column family. */
  static byte[] prefix(String namespace) {
    byte[] ns = namespace.getBytes(StandardCharsets.UTF_8);
    return Arrays.copyOf(ns, ns.length + 1);
  }

  /** The first key after every key with {@code prefix}: the exclusive end of a range delete. */
  static byte[] prefixEnd(byte[] prefix) {
    byte[] end = prefix.clone();
    end[end.length - 1] = 1;
    return end;
  }

  static byte[] seqKey(byte[] prefix, long seq) {
    return ByteBuffer.allocate(prefix.length + Long.BYTES).put(prefix).putLong(seq).array();
  }

  static long seqOf(byte[] key) {
    return ByteBuffer.wrap(key, key.length - Long.BYTES, Long.BYTES).getLong();
  }

  static byte[] stringKey(byte[] prefix, String suffix) {
    byte[] s = suffix.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(prefix.length + s.length).put(prefix).put(s).array();
  }

  static boolean startsWith(byte[] key, byte[] prefix) {
    return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }

  /**
   * A row of the due index: {@code prefix, due time, sequence}, so rows sort by due time then by sequence. The due
   * time's sign bit is flipped, so that byte order is number order for any {@code long}.
   */
  static byte[] dueKey(byte[] prefix, long dueAtMs, long seq) {
    return ByteBuffer.allocate(prefix.length + 2 * Long.BYTES).put(prefix).putLong(dueAtMs ^ Long.MIN_VALUE).putLong(seq)
        .array();
  }

  /** The due time of a due-index row. */
  static long dueOf(byte[] dueKey) {
    return ByteBuffer.wrap(dueKey, dueKey.length - 2 * Long.BYTES, Long.BYTES).getLong() ^ Long.MIN_VALUE;
  }

  /**
   * The prefix of one entry key's rows in the key index: {@code prefix, length of the key, the key}. The length keeps a
   * key's rows apart from those of a longer key that starts with it.
   */
  static byte[] keyGroup(byte[] prefix, String key) {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(prefix.length + Integer.BYTES + k.length).put(prefix).putInt(k.length).put(k).array();
  }

  /** Entry ids of the local backend: the sequence as 16 hex digits, sortable and unique per node log. */
  static String entryId(long seq) {
    char[] hex = new char[16]; // as String.format("%016x", seq), without a Formatter per append
    for (int i = 15; i >= 0; i--) {
      hex[i] = HEX[(int) (seq & 0xf)];
      seq >>>= 4;
    }
    return new String(hex);
  }

  private static final char[] HEX = "0123456789abcdef".toCharArray();
}
