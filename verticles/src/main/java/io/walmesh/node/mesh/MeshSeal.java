package io.walmesh.node.mesh;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals what this node puts on the mesh's Hazelcast maps with the mesh secret, and opens what it
 * reads there, so that a process that joins the cluster without the secret can read nothing and
 * change nothing (the open-source Hazelcast has no member authentication of its own).
 *
 * <p>A sealed value is AES-256-GCM over (sequence number, value), with the cluster name, the map
 * and the key as associated data: a value moved to another key or map, or to another mesh, does
 * not open. The sequence number (milliseconds) makes a replayed older value of a key refused: each
 * node remembers the highest it opened per key, writes {@code max(now, highest seen + 1)}, and
 * refuses a value more than {@value #REPLAY_TOLERANCE_MS} ms older than that highest. The tolerance
 * lets two nodes whose clocks differ by less update the same key at once without one refusing the
 * other's value; a replay must come from a value written within that window to pass.
 *
 * <p>Without a secret ({@link #open()} mesh) values are stored as they are and every member is
 * trusted; the node warns about that at start.
 */
public final class MeshSeal {
  /** Minimum decoded length of a mesh secret. */
  public static final int MIN_SECRET_BYTES = 32;
  private static final byte VERSION = 1;
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final String STRING_PREFIX = "wm1:";
  /** How much older than the newest seen value of a key a value may be and still open. */
  public static final long REPLAY_TOLERANCE_MS = 5_000;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SecretKeySpec key;
  /** The key of {@link #mac}, derived once from the secret. */
  private final SecretKeySpec macKey;
  private final byte[] context;
  /** Per key: the highest sequence opened (what a replay must not be older than). */
  private final Map<String, Long> highest = new ConcurrentHashMap<>();
  /** Per key: the last sequence this node sealed, so that its own writes keep increasing. */
  private final Map<String, Long> written = new ConcurrentHashMap<>();
  private java.util.function.LongSupplier clock = System::currentTimeMillis;

  private MeshSeal(byte[] secret, String clusterName) {
    this.key = secret == null ? null : new SecretKeySpec(derive(secret, "walmesh mesh seal v1"), "AES");
    this.macKey = secret == null ? null : new SecretKeySpec(derive(secret, "walmesh mesh mac v1"), "HmacSHA256");
    this.context = (clusterName + "\0").getBytes(StandardCharsets.UTF_8);
  }

  /** A mesh without a secret: values are stored in the clear and nothing is checked. */
  public static MeshSeal open() {
    return new MeshSeal(null, "");
  }

  /** Seals with {@code secret} for the mesh named {@code clusterName}. */
  public static MeshSeal withSecret(byte[] secret, String clusterName) {
    if (secret.length < MIN_SECRET_BYTES) {
      throw new IllegalArgumentException("a mesh secret must have at least " + MIN_SECRET_BYTES + " bytes, this one has "
          + secret.length);
    }
    return new MeshSeal(secret.clone(), clusterName);
  }

  /**
   * Reads a secret file: base64 (standard or URL-safe) of at least {@value #MIN_SECRET_BYTES}
   * random bytes, surrounding whitespace ignored. Errors say what is wrong and how to make one.
   */
  public static byte[] readSecret(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8).strip();
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("cannot read the mesh secret file " + file + ": " + e.getMessage());
    }
    byte[] secret;
    try {
      secret = text.contains("-") || text.contains("_") ? Base64.getUrlDecoder().decode(text)
          : Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the mesh secret file " + file + " is not base64 (" + e.getMessage()
          + "); make one with `walmesh certs create` or `head -c 32 /dev/urandom | base64`");
    }
    if (secret.length < MIN_SECRET_BYTES) {
      throw new IllegalArgumentException("the mesh secret in " + file + " has " + secret.length + " bytes; it needs at least "
          + MIN_SECRET_BYTES + " random bytes (`head -c 32 /dev/urandom | base64`)");
    }
    return secret;
  }

  /** A new random secret, base64: what {@code walmesh certs create} writes. */
  public static String newSecret() {
    byte[] secret = new byte[MIN_SECRET_BYTES];
    RANDOM.nextBytes(secret);
    return Base64.getEncoder().encodeToString(secret);
  }

  /** The clock sequence numbers come from (tests move it). */
  MeshSeal clock(java.util.function.LongSupplier clock) {
    this.clock = clock;
    return this;
  }

  /** Whether values are sealed (a secret is configured). */
  public boolean sealed() {
    return key != null;
  }

  /** Why a value read from the mesh was refused. */
  public static final class Refused extends Exception {
    Refused(String message) {
      super(message);
    }
  }

  /** Seals {@code value} for {@code map}/{@code key}. */
  public byte[] seal(String map, String k, byte[] value) {
    if (key == null) {
      return value;
    }
    String slot = map + "\0" + k;
    // sealing does not count as seeing: a value read after this one is sealed is judged against what was opened
    long seq = written.merge(slot, Math.max(clock.getAsLong(), highest.getOrDefault(slot, Long.MIN_VALUE) + 1),
        (last, next) -> Math.max(next, last + 1));
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(aad(map, k));
      byte[] sealed = cipher.doFinal(ByteBuffer.allocate(8 + value.length).putLong(seq).put(value).array());
      return ByteBuffer.allocate(1 + NONCE_BYTES + sealed.length).put(VERSION).put(nonce).put(sealed).array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("sealing a mesh value failed: " + e, e);
    }
  }

  /**
   * Opens a value read from {@code map}/{@code key}; refuses one not sealed with this mesh's
   * secret for that key, or older than one already opened for it.
   */
  public byte[] open(String map, String k, byte[] stored) throws Refused {
    if (key == null) {
      return stored;
    }
    if (stored == null || stored.length < 1 + NONCE_BYTES + TAG_BITS / 8 + 8 || stored[0] != VERSION) {
      throw new Refused("not sealed with the mesh secret (" + (stored == null ? "no value" : stored.length + " bytes") + ")");
    }
    byte[] plain;
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, stored, 1, NONCE_BYTES));
      cipher.updateAAD(aad(map, k));
      plain = cipher.doFinal(stored, 1 + NONCE_BYTES, stored.length - 1 - NONCE_BYTES);
    } catch (GeneralSecurityException e) {
      throw new Refused("it does not open with the mesh secret: written by a member without it, or for another key");
    }
    ByteBuffer buffer = ByteBuffer.wrap(plain);
    long seq = buffer.getLong();
    String slot = map + "\0" + k;
    long seen = highest.getOrDefault(slot, Long.MIN_VALUE);
    if (seen != Long.MIN_VALUE && seq < seen - REPLAY_TOLERANCE_MS) {
      throw new Refused("it is an older value replayed (sequence " + seq + ", this node has seen " + seen + ")");
    }
    highest.merge(slot, seq, Math::max);
    byte[] value = new byte[buffer.remaining()];
    buffer.get(value);
    return value;
  }

  /** {@link #seal} for string maps: {@code wm1:} and base64, or the value itself without a secret. */
  public String sealString(String map, String k, String value) {
    if (key == null) {
      return value;
    }
    return STRING_PREFIX + Base64.getEncoder().encodeToString(seal(map, k, value.getBytes(StandardCharsets.UTF_8)));
  }

  /** {@link #open} for string maps. */
  public String openString(String map, String k, String stored) throws Refused {
    if (key == null) {
      return stored;
    }
    if (stored == null || !stored.startsWith(STRING_PREFIX)) {
      throw new Refused("not sealed with the mesh secret (a value in the clear)");
    }
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(stored.substring(STRING_PREFIX.length()));
    } catch (IllegalArgumentException e) {
      throw new Refused("not sealed with the mesh secret (not base64)");
    }
    return new String(open(map, k, bytes), StandardCharsets.UTF_8);
  }

  /**
   * An HMAC-SHA256 of {@code text}, for {@code purpose}, under a key derived from the secret
   * (base64url); null without a secret. Proves to another node of the mesh who wrote it.
   */
  public String mac(String purpose, String text) {
    if (macKey == null) {
      return null;
    }
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(macKey);
      mac.update(context);
      mac.update((purpose + "\0").getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Whether {@code proof} is {@link #mac}'s answer for {@code text} (constant time); false without a secret. */
  public boolean verifyMac(String purpose, String text, String proof) {
    String expected = mac(purpose, text);
    return expected != null && proof != null && java.security.MessageDigest.isEqual(
        expected.getBytes(StandardCharsets.US_ASCII), proof.getBytes(StandardCharsets.US_ASCII));
  }

  private byte[] aad(String map, String k) {
    byte[] rest = (map + "\0" + k).getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(context.length + rest.length).put(context).put(rest).array();
  }

  private static byte[] derive(byte[] secret, String label) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return mac.doFinal(label.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
