package io.walmesh.target.memcached.client;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One pipelined connection: commands are written as they come and answered in order, so each
 * response completes the head of the response queue. A command that times out, a garbled response
 * or a {@code CLIENT_ERROR} closes the connection (the stream may be out of step) and fails every
 * command still waiting on it.
 */
final class MemcachedConnection {
  private final Vertx vertx;
  private final NetSocket socket;
  private final String server;
  private final long timeoutMs;
  private final Consumer<MemcachedConnection> onClosed;
  private final ArrayDeque<Command> queue = new ArrayDeque<>();
  private Buffer input = Buffer.buffer();
  /** The most bytes of an unfinished answer held: a value of the largest payload (16 MiB) and its lines. */
  static final int MAX_BUFFERED_BYTES = (16 << 20) + (64 << 10);
  private boolean closed;

  MemcachedConnection(Vertx vertx, NetSocket socket, String server, long timeoutMs, Consumer<MemcachedConnection> onClosed) {
    this.vertx = vertx;
    this.socket = socket;
    this.server = server;
    this.timeoutMs = timeoutMs;
    this.onClosed = onClosed;
    socket.handler(this::onData);
    socket.exceptionHandler(e -> closeWith(new MemcachedException(MemcachedException.Kind.CONNECTION_LOST,
        "connection to memcached " + server + " failed: " + e.getMessage())));
    socket.closeHandler(v -> closeWith(new MemcachedException(MemcachedException.Kind.CONNECTION_LOST,
        "connection to memcached " + server + " closed")));
  }

  /** Commands written and not yet answered. */
  synchronized int inFlight() {
    return queue.size();
  }

  synchronized boolean isClosed() {
    return closed;
  }

  /** Writes the command and returns its answer. */
  Future<Object> send(Command command) {
    command.timerId = vertx.setTimer(timeoutMs, id -> onTimeout(command));
    synchronized (this) {
      if (!closed) {
        queue.add(command);
        socket.write(command.request);
        return command.promise.future();
      }
    }
    vertx.cancelTimer(command.timerId);
    command.promise.tryFail(new MemcachedException(MemcachedException.Kind.CONNECTION_LOST,
        "connection to memcached " + server + " closed before " + command.description));
    return command.promise.future();
  }

  private void onTimeout(Command command) {
    synchronized (this) {
      if (!queue.contains(command)) {
        return;
      }
    }
    closeWith(new MemcachedException(MemcachedException.Kind.TIMEOUT, "memcached " + server + " did not answer "
        + command.description + " within " + timeoutMs + " ms"));
  }

  private void onData(Buffer chunk) {
    List<Runnable> completions = new ArrayList<>();
    MemcachedException resync = null;
    synchronized (this) {
      input.appendBuffer(chunk);
      int pos = 0;
      while (pos < input.length()) {
        Command head = queue.peek();
        if (head == null) {
          resync = new MemcachedException(MemcachedException.Kind.PROTOCOL, "memcached " + server
              + " sent data no command was waiting for");
          break;
        }
        ResponseParser.Response response = ResponseParser.parse(input, pos, head.type, server);
        if (response == null) {
          break;
        }
        queue.poll();
        pos = response.end();
        completions.add(() -> complete(head, response));
        if (response.resync()) {
          resync = new MemcachedException(MemcachedException.Kind.CONNECTION_LOST, "connection to memcached " + server
              + " closed after an error answer: " + response.error().getMessage());
          break;
        }
      }
      input = pos == input.length() ? Buffer.buffer() : input.getBuffer(pos, input.length());
      if (resync == null && input.length() > MAX_BUFFERED_BYTES) {
        // no answer to a store, delete or touch is longer than a line, nor one to gets longer than a value: a server
        // sending more without completing one is broken or hostile, and is not buffered without bound
        resync = new MemcachedException(MemcachedException.Kind.PROTOCOL, "memcached " + server + " sent "
            + input.length() + " bytes without completing an answer, over the limit of " + MAX_BUFFERED_BYTES
            + " bytes; the connection is closed");
        input = Buffer.buffer();
      }
    }
    completions.forEach(Runnable::run);
    if (resync != null) {
      closeWith(resync);
    }
  }

  private void complete(Command command, ResponseParser.Response response) {
    vertx.cancelTimer(command.timerId);
    if (response.error() != null) {
      command.promise.tryFail(response.error());
    } else {
      command.promise.tryComplete(response.value());
    }
  }

  /** Closes the connection, failing every waiting command with {@code failure}. */
  void closeWith(MemcachedException failure) {
    List<Command> failed;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      failed = new ArrayList<>(queue);
      queue.clear();
    }
    for (Command command : failed) {
      vertx.cancelTimer(command.timerId);
      command.promise.tryFail(new MemcachedException(failure.kind(), failure.getMessage()
          + (failure.getMessage().contains(command.description) ? "" : " (while waiting for " + command.description + ")")));
    }
    socket.close();
    onClosed.accept(this);
  }
}
