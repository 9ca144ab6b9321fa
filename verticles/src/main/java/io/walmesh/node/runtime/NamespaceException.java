package io.walmesh.node.runtime;

/** A namespace operation that cannot be done, with a kind the admin API maps to an HTTP status. */
public final class NamespaceException extends RuntimeException {

  /** Why the operation was refused. */
  public enum Kind {
    NOT_FOUND, ALREADY_EXISTS, CONFLICT,
    /** A change made only at a version (HTTP {@code If-Match}) found the document at another: HTTP 412. */
    VERSION_CHANGED
  }

  private final Kind kind;

  public NamespaceException(Kind kind, String message) {
    super(message, null, false, false);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
