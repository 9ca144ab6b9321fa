package io.walmesh.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

/**
 * An HTTP/1.1 server on a plain {@link ServerSocket} that keeps exactly the bytes it received and
 * parses them the way an upstream would (request line, headers, a {@code Content-Length} or chunked
 * body, then the next request on the same connection). Tests use it to see what reached the wire,
 * e.g. that a hostile entry header did not smuggle a second request. Every request is answered with
 * {@link #respond the chosen status} and body.
 */
public final class RawHttpServer implements AutoCloseable {

  /** One request as parsed from the wire. */
  public record Request(String method, String target, List<String[]> headers, String body) {
    /** Every value of a header, in order (names are case-insensitive). */
    public List<String> all(String name) {
      return headers.stream().filter(h -> h[0].equalsIgnoreCase(name)).map(h -> h[1]).toList();
    }

    /** The only value of a header, or null when absent; fails when it was sent more than once. */
    public String header(String name) {
      List<String> values = all(name);
      if (values.size() > 1) {
        throw new AssertionError("header " + name + " was sent " + values.size() + " times: " + values);
      }
      return values.isEmpty() ? null : values.get(0);
    }
  }

  private final ServerSocket socket;
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final List<Socket> connections = new CopyOnWriteArrayList<>();
  private final List<String> raw = new CopyOnWriteArrayList<>();
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger accepted = new AtomicInteger();
  private volatile IntSupplier status = () -> 200;
  private volatile String responseBody = "";

  /** Listens on {@code address} (e.g. 127.0.0.1), port chosen by the system. */
  public RawHttpServer(String address) {
    try {
      socket = new ServerSocket();
      socket.bind(new InetSocketAddress(InetAddress.getByName(address), 0));
    } catch (IOException e) {
      throw new IllegalStateException("cannot listen on " + address, e);
    }
    Thread acceptor = new Thread(this::accept, "raw-http-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public int port() {
    return socket.getLocalPort();
  }

  /** Chooses the status and body of every answer. */
  public RawHttpServer respond(int code, String body) {
    this.status = () -> code;
    this.responseBody = body;
    return this;
  }

  /** The requests parsed so far, in arrival order. */
  public List<Request> requests() {
    return List.copyOf(requests);
  }

  /** Everything received on each connection that has ended, as ISO-8859-1 text. */
  public List<String> rawConnections() {
    return List.copyOf(raw);
  }

  /** Connections accepted so far. */
  public int accepted() {
    return accepted.get();
  }

  /** Whether every accepted connection has been closed by the client (so all its bytes are parsed). */
  public boolean allConnectionsEnded() {
    return open.get() == 0;
  }

  private void accept() {
    while (!socket.isClosed()) {
      try {
        Socket connection = socket.accept();
        open.incrementAndGet();
        accepted.incrementAndGet();
        connections.add(connection);
        Thread reader = new Thread(() -> serve(connection), "raw-http-conn");
        reader.setDaemon(true);
        reader.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket connection) {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    try (connection) {
      InputStream in = new Recording(connection.getInputStream(), all);
      OutputStream out = connection.getOutputStream();
      while (true) {
        String requestLine = line(in);
        if (requestLine == null) {
          return;
        }
        if (requestLine.isEmpty()) {
          continue;
        }
        String[] parts = requestLine.split(" ", 3);
        List<String[]> headers = new ArrayList<>();
        String header;
        while ((header = line(in)) != null && !header.isEmpty()) {
          int colon = header.indexOf(':');
          headers.add(colon < 0 ? new String[] {header, ""}
              : new String[] {header.substring(0, colon).strip(), header.substring(colon + 1).strip()});
        }
        String body = body(in, headers);
        requests.add(new Request(parts[0], parts.length > 1 ? parts[1] : "", headers, body));
        byte[] answer = responseBody.getBytes(StandardCharsets.UTF_8);
        out.write(("HTTP/1.1 " + status.getAsInt() + " X\r\nContent-Length: " + answer.length + "\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
        out.write(answer);
        out.flush();
      }
    } catch (IOException e) {
      // the connection ended
    } finally {
      raw.add(all.toString(StandardCharsets.ISO_8859_1));
      open.decrementAndGet();
    }
  }

  private static String body(InputStream in, List<String[]> headers) throws IOException {
    String length = null;
    boolean chunked = false;
    for (String[] h : headers) {
      if (h[0].equalsIgnoreCase("Transfer-Encoding") && h[1].toLowerCase(Locale.ROOT).contains("chunked")) {
        chunked = true;
      } else if (h[0].equalsIgnoreCase("Content-Length") && length == null) {
        length = h[1];
      }
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    if (chunked) {
      while (true) {
        String size = line(in);
        int n = size == null ? 0 : Integer.parseInt(size.split(";")[0].strip(), 16);
        if (n == 0) {
          while ((size = line(in)) != null && !size.isEmpty()) {
            // trailers
          }
          break;
        }
        body.write(in.readNBytes(n));
        line(in);
      }
    } else if (length != null) {
      body.write(in.readNBytes(Integer.parseInt(length)));
    }
    return body.toString(StandardCharsets.UTF_8);
  }

  /** One CRLF- (or LF-) terminated line, or null at the end of the stream. */
  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\n') {
        String text = line.toString(StandardCharsets.ISO_8859_1);
        return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
      }
      line.write(c);
    }
    return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() {
    try {
      socket.close();
      for (Socket connection : connections) {
        connection.close();
      }
    } catch (IOException e) {
      // closing anyway
    }
  }

  /** Copies every byte read into {@code copy}. */
  private static final class Recording extends java.io.FilterInputStream {
    private final ByteArrayOutputStream copy;

    Recording(InputStream in, ByteArrayOutputStream copy) {
      super(in);
      this.copy = copy;
    }

    @Override
    public int read() throws IOException {
      int c = super.read();
      if (c >= 0) {
        copy.write(c);
      }
      return c;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        copy.write(b, off, n);
      }
      return n;
    }
  }
}
