package io.walmesh.target.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The Lua script that applies one command atomically, versioned by write time; its rules are in
 * {@code apply.lua} next to this class. Sent by SHA ({@code EVALSHA}) and, when Redis does not
 * know it yet (a fresh or restarted server), by body ({@code EVAL}).
 */
final class ApplyScript {
  static final String BODY = load();
  static final String SHA1 = sha1(BODY);

  private ApplyScript() {
  }

  private static String load() {
    try (InputStream in = ApplyScript.class.getResourceAsStream("apply.lua")) {
      if (in == null) {
        throw new IllegalStateException("apply.lua is missing from the redis target's jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String sha1(String body) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(body.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
