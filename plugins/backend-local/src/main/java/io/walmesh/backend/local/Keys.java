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
