package io.walmesh.target.memcached.client;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import java.util.ArrayList;
import java.util.List;

/**
 * A non-blocking memcached text-protocol client over one or more servers. {@link #nodeFor} picks a
 * key's server by ketama consistent hashing; there is no failover to another server (a down server
 * fails its keys' commands with {@link MemcachedException.Kind#UNREACHABLE}), so every key always
 * lives on one server.
 */
public final class MemcachedClient {
  private final NetClient netClient;
  private final List<MemcachedNode> nodes = new ArrayList<>();
  private final HashRing<MemcachedNode> ring;

  /** A client for {@code servers}; each command fails after {@code timeoutMs}; opens no connection yet. */
  public MemcachedClient(Vertx vertx, List<ServerAddress> servers, long timeoutMs, int maxConnectionsPerServer) {
    if (servers.isEmpty()) {
      throw new IllegalArgumentException("no memcached servers");
    }
    this.netClient = vertx.createNetClient(new NetClientOptions()
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, timeoutMs))
        .setTcpNoDelay(true)
        .setTcpKeepAlive(true));
    List<String> names = new ArrayList<>();
    for (ServerAddress server : servers) {
      nodes.add(new MemcachedNode(vertx, netClient, server, timeoutMs, maxConnectionsPerServer));
      names.add(server.toString());
    }
    this.ring = new HashRing<>(names, nodes);
  }

  /** The server that owns {@code routingKey}. */
  public MemcachedNode nodeFor(String routingKey) {
    return ring.serverFor(routingKey);
  }

  /** Closes all connections. */
  public Future<Void> close() {
    nodes.forEach(MemcachedNode::close);
    return netClient.close();
  }
}
