package io.walmesh.target.memcached.client;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/** Parses one text-protocol response for a command of a given {@link Command.Type}. */
final class ResponseParser {

  /**
   * A parsed response.
   *
   * @param end the index just after the response in the input
   * @param value the result (a {@link StoreResult}, an {@link Item} or null, a Boolean) when no error
   * @param error the server's error answer, or null
   * @param resync true when the connection must be closed because the stream may be out of step
   */
  record Response(int end, Object value, MemcachedException error, boolean resync) {
  }

  private ResponseParser() {
  }

  /** Parses the response starting at {@code pos}; {@code null} when it has not fully arrived yet. */
  static Response parse(Buffer in, int pos, Command.Type type, String server) {
    int eol = indexOfCrlf(in, pos);
    if (eol < 0) {
      return null;
    }
    String line = in.getString(pos, eol, StandardCharsets.UTF_8.name());
    int next = eol + 2;
    if (line.equals("ERROR")) {
      return new Response(next, null, new MemcachedException(MemcachedException.Kind.CLIENT_ERROR,
          "memcached " + server + " answered ERROR (unknown command)"), true);
    }
    if (line.startsWith("CLIENT_ERROR")) {
      return new Response(next, null, new MemcachedException(MemcachedException.Kind.CLIENT_ERROR,
          "memcached " + server + " answered " + line), true);
    }
    if (line.startsWith("SERVER_ERROR")) {
      return new Response(next, null, new MemcachedException(MemcachedException.Kind.SERVER_ERROR,
          "memcached " + server + " answered " + line), false);
    }
    switch (type) {
      case STORE:
        switch (line) {
          case "STORED": return new Response(next, StoreResult.STORED, null, false);
          case "NOT_STORED": return new Response(next, StoreResult.NOT_STORED, null, false);
          case "EXISTS": return new Response(next, StoreResult.EXISTS, null, false);
          case "NOT_FOUND": return new Response(next, StoreResult.NOT_FOUND, null, false);
          default: return unexpected(next, line, type, server);
        }
      case DELETE:
        return line.equals("DELETED") ? new Response(next, Boolean.TRUE, null, false)
            : line.equals("NOT_FOUND") ? new Response(next, Boolean.FALSE, null, false) : unexpected(next, line, type, server);
      case TOUCH:
        return line.equals("TOUCHED") ? new Response(next, Boolean.TRUE, null, false)
            : line.equals("NOT_FOUND") ? new Response(next, Boolean.FALSE, null, false) : unexpected(next, line, type, server);
      default:
        return parseRetrieval(in, line, next, server);
    }
  }

  private static Response parseRetrieval(Buffer in, String line, int next, String server) {
    Item item = null;
    while (true) {
      if (line.equals("END")) {
        return new Response(next, item, null, false);
      }
      if (!line.startsWith("VALUE ")) {
        return unexpected(next, line, Command.Type.RETRIEVE, server);
      }
      String[] parts = line.split(" ");
      if (parts.length < 4) {
        return unexpected(next, line, Command.Type.RETRIEVE, server);
      }
      long flags;
      int length;
      long cas;
      try {
        flags = Long.parseLong(parts[2]);
        length = Integer.parseInt(parts[3]);
        cas = parts.length > 4 ? Long.parseUnsignedLong(parts[4]) : 0;
      } catch (NumberFormatException e) {
        return unexpected(next, line, Command.Type.RETRIEVE, server);
      }
      if (length < 0) {
        return unexpected(next, line, Command.Type.RETRIEVE, server);
      }
      if (in.length() < next + length + 2) {
        return null;
      }
      if (in.getByte(next + length) != '\r' || in.getByte(next + length + 1) != '\n') {
        return unexpected(next, "data block of " + parts[1] + " not terminated by CRLF", Command.Type.RETRIEVE, server);
      }
      item = new Item(parts[1], flags, in.getBuffer(next, next + length), cas);
      int pos = next + length + 2;
      int eol = indexOfCrlf(in, pos);
      if (eol < 0) {
        return null;
      }
      line = in.getString(pos, eol, StandardCharsets.UTF_8.name());
      next = eol + 2;
    }
  }

  private static Response unexpected(int next, String line, Command.Type type, String server) {
    return new Response(next, null, new MemcachedException(MemcachedException.Kind.PROTOCOL, "memcached " + server
        + " sent an unexpected response to a " + type.name().toLowerCase() + " command: " + abbreviate(line)), true);
  }

  private static String abbreviate(String line) {
    return line.length() <= 100 ? line : line.substring(0, 100) + "...";
  }

  private static int indexOfCrlf(Buffer in, int from) {
    for (int i = from; i < in.length() - 1; i++) {
      if (in.getByte(i) == '\r' && in.getByte(i + 1) == '\n') {
        return i;
      }
    }
    return -1;
  }
}
