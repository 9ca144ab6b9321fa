package io.walmesh.target.memcached.client;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One memcached server and its pool of up to {@code maxConnections} pipelined connections, opened
 * lazily. A command goes to an idle connection, else to a new one while the pool has room, else to
 * the connection with the fewest commands waiting.
 */
public final class MemcachedNode {
  private final Vertx vertx;
  private final NetClient netClient;
  private final ServerAddress address;
  private final long timeoutMs;
  private final int maxConnections;
  private final List<MemcachedConnection> open = new ArrayList<>();
  private final List<Promise<MemcachedConnection>> waiters = new ArrayList<>();
  private int connecting;
  private boolean closed;

  MemcachedNode(Vertx vertx, NetClient netClient, ServerAddress address, long timeoutMs, int maxConnections) {
    this.vertx = vertx;
    this.netClient = netClient;
    this.address = address;
    this.timeoutMs = timeoutMs;
    this.maxConnections = maxConnections;
  }

  public ServerAddress address() {
    return address;
  }

  /** {@code gets key}: the item with its cas unique, or {@code null} when absent. */
  public Future<Item> gets(String key) {
    return this.<Item>send(Command.Type.RETRIEVE, "gets " + key, Buffer.buffer("gets " + key + "\r\n"));
  }

  /** {@code set}: stores the item unconditionally. */
  public Future<StoreResult> set(String key, long flags, int exptime, Buffer data) {
    return store("set", key, flags, exptime, data, null);
  }

  /** {@code add}: stores the item only when the key is absent ({@link StoreResult#NOT_STORED} otherwise). */
  public Future<StoreResult> add(String key, long flags, int exptime, Buffer data) {
    return store("add", key, flags, exptime, data, null);
  }

  /** {@code cas}: stores the item only when it is unchanged since {@code gets} returned {@code cas}. */
  public Future<StoreResult> cas(String key, long flags, int exptime, Buffer data, long cas) {
    return store("cas", key, flags, exptime, data, Long.toUnsignedString(cas));
  }

  /** {@code delete key}: true when deleted, false when absent. */
  public Future<Boolean> delete(String key) {
    return send(Command.Type.DELETE, "delete " + key, Buffer.buffer("delete " + key + "\r\n"));
  }

  /** {@code touch key exptime}: true when the item's expiry changed, false when absent. */
  public Future<Boolean> touch(String key, int exptime) {
    return send(Command.Type.TOUCH, "touch " + key, Buffer.buffer("touch " + key + " " + exptime + "\r\n"));
  }

  private Future<StoreResult> store(String verb, String key, long flags, int exptime, Buffer data, String cas) {
    String header = verb + " " + key + " " + flags + " " + exptime + " " + data.length() + (cas == null ? "" : " " + cas);
    Buffer request = Buffer.buffer(header.length() + data.length() + 4)
        .appendString(header, StandardCharsets.UTF_8.name()).appendString("\r\n").appendBuffer(data).appendString("\r\n");
    return send(Command.Type.STORE, verb + " " + key + " (" + data.length() + " bytes)", request);
  }

  @SuppressWarnings("unchecked")
  private <T> Future<T> send(Command.Type type, String description, Buffer request) {
    Command command = new Command(type, description, request);
    return acquire().compose(connection -> connection.send(command)).map(value -> (T) value);
  }

  private Future<MemcachedConnection> acquire() {
    synchronized (this) {
      if (closed) {
        return Future.failedFuture(new MemcachedException(MemcachedException.Kind.CLOSED,
            "the memcached client for " + address + " is closed"));
      }
      MemcachedConnection best = null;
      for (MemcachedConnection connection : open) {
        if (best == null || connection.inFlight() < best.inFlight()) {
          best = connection;
        }
      }
      boolean room = open.size() + connecting < maxConnections;
      if (best != null && (best.inFlight() == 0 || !room)) {
        return Future.succeededFuture(best);
      }
      if (!room) {
        Promise<MemcachedConnection> waiter = Promise.promise();
        waiters.add(waiter);
        return waiter.future();
      }
      connecting++;
    }
    return connect();
  }

  private Future<MemcachedConnection> connect() {
    return netClient.connect(address.port(), address.host()).transform(ar -> {
      List<Promise<MemcachedConnection>> served;
      MemcachedConnection connection = null;
      MemcachedException failure = null;
      synchronized (this) {
        connecting--;
        if (ar.succeeded()) {
          connection = new MemcachedConnection(vertx, ar.result(), address.toString(), timeoutMs, this::forget);
          if (closed) {
            failure = new MemcachedException(MemcachedException.Kind.CLOSED, "the memcached client for " + address + " is closed");
          } else {
            open.add(connection);
          }
        } else {
          failure = new MemcachedException(MemcachedException.Kind.UNREACHABLE, "cannot connect to memcached " + address
              + ": " + ar.cause().getMessage());
        }
        served = new ArrayList<>(waiters);
        waiters.clear();
      }
      if (failure != null) {
        if (connection != null) {
          connection.closeWith(failure);
        }
        for (Promise<MemcachedConnection> waiter : served) {
          waiter.tryFail(failure);
        }
        return Future.failedFuture(failure);
      }
      for (Promise<MemcachedConnection> waiter : served) {
        waiter.tryComplete(connection);
      }
      return Future.succeededFuture(connection);
    });
  }

  private synchronized void forget(MemcachedConnection connection) {
    open.remove(connection);
  }

  /** Closes every connection; commands still waiting fail with {@link MemcachedException.Kind#CLOSED}. */
  void close() {
    List<MemcachedConnection> toClose;
    synchronized (this) {
      closed = true;
      toClose = new ArrayList<>(open);
      open.clear();
    }
    MemcachedException failure = new MemcachedException(MemcachedException.Kind.CLOSED,
        "the memcached client for " + address + " was closed");
    toClose.forEach(connection -> connection.closeWith(failure));
  }
}
