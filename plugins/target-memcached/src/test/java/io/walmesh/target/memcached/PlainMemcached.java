package io.walmesh.target.memcached;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A blocking text-protocol reader, independent of the plugin's client: it looks at memcached the way a
 * cache reader would ({@code get}), and empties it between tests.
 */
final class PlainMemcached {
  private final String host;
  private final int port;

  /** One item as a reader sees it. @param value the value as UTF-8 @param flags its client flags */
  record Value(String value, long flags) {
  }

  PlainMemcached(String host, int port) {
    this.host = host;
    this.port = port;
  }

  /** The value of {@code key}, or null when absent. */
  String get(String key) {
    Value value = item(key);
    return value == null ? null : value.value();
  }

  /** The value and flags of {@code key}, or null when absent. */
  Value item(String key) {
    try (Socket socket = new Socket(host, port)) {
      socket.setSoTimeout(5_000);
      OutputStream out = socket.getOutputStream();
      out.write(("get " + key + "\r\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
      InputStream in = socket.getInputStream();
      String line = readLine(in);
      if (line.equals("END")) {
        return null;
      }
      String[] parts = line.split(" ");
      byte[] data = in.readNBytes(Integer.parseInt(parts[3]));
      readLine(in);
      readLine(in);
      return new Value(new String(data, StandardCharsets.UTF_8), Long.parseLong(parts[2]));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Empties the server. */
  void flushAll() {
    try (Socket socket = new Socket(host, port)) {
      socket.setSoTimeout(5_000);
      socket.getOutputStream().write("flush_all\r\n".getBytes(StandardCharsets.US_ASCII));
      String line = readLine(socket.getInputStream());
      if (!line.equals("OK")) {
        throw new IllegalStateException("flush_all answered " + line);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int previous = -1;
    while (true) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed mid-response");
      }
      if (previous == '\r' && b == '\n') {
        byte[] bytes = line.toByteArray();
        return new String(bytes, 0, bytes.length - 1, StandardCharsets.UTF_8);
      }
      line.write(b);
      previous = b;
    }
  }
}
