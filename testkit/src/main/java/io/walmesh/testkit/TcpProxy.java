package io.walmesh.testkit;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP forwarder on 127.0.0.1 in front of a real server, that a test can take down and bring back
 * on the same port: {@link #stop()} closes every forwarded connection and stops listening, so
 * clients see the server gone (connection reset, then refused), as when it stops; {@link #start()}
 * listens again. Useful for servers that are slow to restart themselves (Cassandra).
 */
public final class TcpProxy implements AutoCloseable {
  private final Vertx vertx;
  private final String host;
  private final int port;
  private final int listenPort;
  private final NetClient client;
  private final Set<NetSocket> open = ConcurrentHashMap.newKeySet();
  private NetServer server;

  private TcpProxy(Vertx vertx, String host, int port) {
    this.vertx = vertx;
    this.host = host;
    this.port = port;
    this.listenPort = FreePorts.next();
    this.client = vertx.createNetClient();
  }

  /** Starts forwarding a free local port to {@code host:port}. */
  public static TcpProxy start(Vertx vertx, String host, int port) {
    TcpProxy proxy = new TcpProxy(vertx, host, port);
    proxy.start();
    return proxy;
  }

  /** Listens (again) on the proxy's port. */
  public synchronized void start() {
    if (server != null) {
      return;
    }
    NetServer listening = vertx.createNetServer().connectHandler(this::forward);
    BackendProbe.await(listening.listen(listenPort, "127.0.0.1"));
    server = listening;
  }

  private void forward(NetSocket inbound) {
    inbound.pause();
    open.add(inbound);
    inbound.closeHandler(v -> open.remove(inbound));
    client.connect(port, host).onComplete(ar -> {
      if (ar.failed()) {
        inbound.close();
        return;
      }
      NetSocket outbound = ar.result();
      if (!open.contains(inbound)) { // stopped (or the client left) while connecting: nothing to forward
        outbound.close();
        inbound.close();
        return;
      }
      open.add(outbound);
      inbound.handler(outbound::write);
      outbound.handler(inbound::write);
      inbound.closeHandler(v -> {
        open.remove(inbound);
        outbound.close();
      });
      outbound.closeHandler(v -> {
        open.remove(outbound);
        inbound.close();
      });
      inbound.resume();
    });
  }

  /** Stops listening and closes every forwarded connection: the server looks down. */
  public synchronized void stop() {
    if (server == null) {
      return;
    }
    BackendProbe.await(server.close());
    server = null;
    for (NetSocket socket : open) {
      socket.close();
    }
    open.clear();
  }

  /** The proxy's port: what clients connect to. */
  public int port() {
    return listenPort;
  }

  /** {@code 127.0.0.1:<port>}. */
  public String address() {
    return "127.0.0.1:" + listenPort;
  }

  @Override
  public void close() {
    stop();
    client.close();
  }
}
