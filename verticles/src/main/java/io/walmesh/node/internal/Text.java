package io.walmesh.node.internal;

/**
 * Caller input inside error messages and logs: a short, printable prefix, never the whole value.
 * A refusal names the field and the limit; it must not echo a 100 KB name back to the caller (a
 * gRPC status message past 64 KiB makes some clients drop the connection) or put control
 * characters into a log line.
 */
public final class Text {
  /** The most characters of caller input an error message repeats. */
  public static final int MAX_ECHO_CHARS = 64;

  private Text() {
  }

  /** {@code "abc"}, or {@code "abcdef..." (100000 chars)} when the input is longer than {@link #MAX_ECHO_CHARS}. */
  public static String quote(String input) {
    if (input == null) {
      return "null";
    }
    if (input.length() <= MAX_ECHO_CHARS) {
      return '"' + printable(input) + '"';
    }
    return '"' + printable(input.substring(0, MAX_ECHO_CHARS)) + "...\" (" + input.length() + " chars)";
  }

  /** The text with control characters (CR, LF, NUL, DEL, ...) replaced by {@code ?}. */
  public static String printable(String text) {
    StringBuilder out = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean control = c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '\u2028' || c == '\u2029';
      if (control && out == null) {
        out = new StringBuilder(text.length()).append(text, 0, i);
      }
      if (out != null) {
        out.append(control ? '?' : c);
      }
    }
    return out == null ? text : out.toString();
  }

  /** At most {@code max} characters of the text, printable, with "..." when cut. */
  public static String truncate(String text, int max) {
    String printable = printable(text);
    return printable.length() <= max ? printable : printable.substring(0, Math.max(0, max - 3)) + "...";
  }
}
