package io.walmesh.containers;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP service that walmesh nodes in containers deliver to: it listens on every interface of this machine, so a
 * container reaches it at its network's gateway address, and answers 200 to each POST, recording the body.
 */
final class Receiver implements AutoCloseable {
  private final HttpServer server;
  private final Set<String> bodies = ConcurrentHashMap.newKeySet();
  private final AtomicInteger requests = new AtomicInteger();

  Receiver() throws IOException {
    server = HttpServer.create(new InetSocketAddress("0.0.0.0", 0), 128);
    server.createContext("/", exchange -> {
      try (InputStream in = exchange.getRequestBody()) {
        bodies.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
      requests.incrementAndGet();
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
    });
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.start();
  }

  /** The URL a container on a network whose gateway is {@code gateway} posts to. */
  String url(String gateway) {
    return "http://" + gateway + ":" + server.getAddress().getPort() + "/apply";
  }

  Set<String> bodies() {
    return bodies;
  }

  int requests() {
    return requests.get();
  }

  @Override
  public void close() {
    server.stop(0);
  }

  /** A namespace on the local backend that delivers every entry to {@code url}, retrying for as long as it takes. */
  static String namespace(String name, String url) {
    return """
        {"name": "%s", "backend": {"type": "local"},
         "targets": [{"name": "apply", "type": "http", "default": true, "config": {"url": "%s", "timeout-ms": 2000}}],
         "ordering": "per-key",
         "retry": {"max-attempts": 100000, "initial-backoff-ms": 200, "multiplier": 2.0, "max-backoff-ms": 2000,
                   "jitter": 0.2}}""".formatted(name, url);
  }
}
