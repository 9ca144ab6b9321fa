package io.walmesh.target.http;

import java.util.Locale;
import java.util.Set;

/**
 * Which headers may reach the wire. An entry's headers are written by whoever may write to the
 * namespace, so they are forwarded only when they cannot change how the request is framed, routed
 * or authenticated:
 * <ul>
 *   <li>the name must be an RFC 7230 token and the value free of control characters (HTAB aside);</li>
 *   <li>never {@link #NEVER framing, hop-by-hop or routing headers} ({@code Content-Length},
 *       {@code Transfer-Encoding}, {@code Connection}, {@code Keep-Alive}, {@code TE},
 *       {@code Trailer}, {@code Upgrade}, {@code Expect}, {@code Host}, {@code HTTP2-Settings},
 *       {@code Proxy-*});</li>
 *   <li>from an entry, also never credentials or forwarding claims ({@code Authorization},
 *       {@code Cookie}, {@code Forwarded}, {@code X-Forwarded-*}), nor walmesh's own
 *       {@code Walmesh-*} headers, nor a header the target's config sets (its {@code Content-Type}
 *       included).</li>
 * </ul>
 * A header that breaks a rule is dropped from the delivery; in a target's config it is refused.
 */
final class HttpHeaderRules {
  /** The characters of an RFC 7230 token ({@code tchar}), besides letters and digits. */
  private static final String TOKEN_SYMBOLS = "!#$%&'*+-.^_`|~";
  /** At most this many characters of a header name. */
  static final int MAX_NAME_LENGTH = 256;
  /** Framing, hop-by-hop and routing headers: neither an entry nor a config may set them. */
  static final Set<String> NEVER = Set.of("content-length", "transfer-encoding", "connection", "keep-alive", "te",
      "trailer", "upgrade", "expect", "host", "http2-settings");
  /** Headers an entry may not set on top of {@link #NEVER}. */
  static final Set<String> NOT_FROM_ENTRIES = Set.of("authorization", "cookie", "forwarded");
  /** At most this many characters of a header value. */
  static final int MAX_VALUE_LENGTH = 8_192;

  private HttpHeaderRules() {
  }

  /** Why a configured static header is refused, or null when it is fine. */
  static String staticHeaderProblem(String name, String value) {
    if (!isToken(name)) {
      return "is not a valid header name (an RFC 7230 token)";
    }
    String lower = name.toLowerCase(Locale.ROOT);
    if (NEVER.contains(lower) || lower.startsWith("proxy-")) {
      return "walmesh sets framing, connection and Host headers itself; remove it (put the host in url)";
    }
    if (lower.startsWith("walmesh-")) {
      return "Walmesh-* headers are set by walmesh itself";
    }
    if (!validValue(value)) {
      return "the value must not contain control characters and must be at most " + MAX_VALUE_LENGTH + " characters";
    }
    return null;
  }

  /** Whether an entry's header may be forwarded, given the names the target's config sets (lowercase). */
  static boolean forwardable(String name, String value, Set<String> configured) {
    if (name == null || value == null || !isToken(name) || !validValue(value)) {
      return false;
    }
    String lower = name.toLowerCase(Locale.ROOT);
    return !NEVER.contains(lower) && !NOT_FROM_ENTRIES.contains(lower) && !configured.contains(lower)
        && !lower.startsWith("proxy-") && !lower.startsWith("x-forwarded-") && !lower.startsWith("walmesh-");
  }

  /**
   * Whether {@code name} is an RFC 7230 token of 1 to {@value #MAX_NAME_LENGTH} characters. Checked for every header
   * of every delivery, so by hand rather than with a regular expression (a {@code Matcher} per header).
   */
  static boolean isToken(String name) {
    if (name.isEmpty() || name.length() > MAX_NAME_LENGTH) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean alphanumeric = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9';
      if (!alphanumeric && TOKEN_SYMBOLS.indexOf(c) < 0) {
        return false;
      }
    }
    return true;
  }

  private static boolean validValue(String value) {
    if (value.length() > MAX_VALUE_LENGTH) {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if ((c < 0x20 && c != '\t') || c == 0x7F) {
        return false;
      }
    }
    return true;
  }

  /**
   * A short, printable rendering of untrusted text for messages: control characters removed,
   * whitespace runs collapsed, at most {@code max} characters.
   */
  static String sanitize(String text, int max) {
    StringBuilder out = new StringBuilder(Math.min(text.length(), max + 3));
    boolean space = false;
    for (int i = 0; i < text.length() && out.length() < max; i++) {
      char c = text.charAt(i);
      if (Character.isWhitespace(c)) {
        space = out.length() > 0;
      } else if (!Character.isISOControl(c) && Character.getType(c) != Character.FORMAT
          && !Character.isSurrogate(c)) {
        if (space) {
          out.append(' ');
          space = false;
        }
        out.append(c);
      }
    }
    String result = out.toString();
    return result.length() >= max && text.length() > max ? result.substring(0, max) + "..." : result;
  }
}
