package io.walmesh.target.memcached.client;

/** A failed memcached command; its {@link Kind} tells a caller whether trying again can help. */
public final class MemcachedException extends RuntimeException {

  /** What went wrong. */
  public enum Kind {
    /** The server could not be reached: connection refused, unknown host, connect timeout. */
    UNREACHABLE,
    /** No response within the timeout; the command may or may not have been applied. */
    TIMEOUT,
    /** The connection closed before the response arrived. */
    CONNECTION_LOST,
    /** The server answered {@code SERVER_ERROR ...}, e.g. object too large or out of memory. */
    SERVER_ERROR,
    /** The server answered {@code CLIENT_ERROR ...} or {@code ERROR}: a malformed or unknown command. */
    CLIENT_ERROR,
    /** The server sent something this client cannot parse. */
    PROTOCOL,
    /** The client was closed. */
    CLOSED
  }

  private final Kind kind;

  public MemcachedException(Kind kind, String message) {
    super(message, null, false, false);
    this.kind = kind;
  }

  /** Whether the failure says the server rejected the command itself (as opposed to transport trouble). */
  public boolean rejectedByServer() {
    return kind == Kind.SERVER_ERROR || kind == Kind.CLIENT_ERROR;
  }

  public Kind kind() {
    return kind;
  }
}
