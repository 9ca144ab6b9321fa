package io.walmesh.target.memcached.client;

import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;

/** One request on a connection, waiting in its response queue for the answer. */
final class Command {

  /** Which responses the command expects. */
  enum Type {
    /** {@code set}, {@code add}, {@code cas}: a {@link StoreResult}. */
    STORE,
    /** {@code gets}: an {@link Item} or {@code null}. */
    RETRIEVE,
    /** {@code delete}: true when deleted, false when not found. */
    DELETE,
    /** {@code touch}: true when touched, false when not found. */
    TOUCH
  }

  final Type type;
  final String description;
  final Buffer request;
  final Promise<Object> promise = Promise.promise();
  long timerId = -1;

  Command(Type type, String description, Buffer request) {
    this.type = type;
    this.description = description;
    this.request = request;
  }
}
