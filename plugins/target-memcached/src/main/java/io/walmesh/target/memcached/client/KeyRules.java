package io.walmesh.target.memcached.client;

import java.nio.charset.StandardCharsets;

/** The memcached text protocol's key rules: at most 250 bytes, no spaces, no control characters. */
public final class KeyRules {
  /** The longest key memcached accepts, in bytes. */
  public static final int MAX_KEY_BYTES = 250;

  private KeyRules() {
  }

  /** What is wrong with {@code key} as a memcached key, or {@code null} when it is fine. */
  public static String problem(String key) {
    if (key.isEmpty()) {
      return "key is empty";
    }
    byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
    if (bytes.length > MAX_KEY_BYTES) {
      return "key is " + bytes.length + " bytes; memcached allows at most " + MAX_KEY_BYTES;
    }
    for (int i = 0; i < bytes.length; i++) {
      int b = bytes[i] & 0xFF;
      if (b == ' ') {
        return "key contains a space at byte " + i + "; memcached keys may not contain spaces";
      }
      if (b < 0x20 || b == 0x7F) {
        return "key contains control character 0x" + Integer.toHexString(b) + " at byte " + i
            + "; memcached keys may not contain control characters";
      }
    }
    return null;
  }
}
