package io.walmesh.spi.backend;

/** An append that failed, with whether the entry may nevertheless have been stored. */
public final class AppendException extends RuntimeException {

  /** What a failed append means for the entry. */
  public enum Kind {
    /** The entry is certainly not stored; the caller may retry. */
    NOT_STORED,
    /** The entry may be stored (e.g. a timeout after the request reached the broker). */
    MAYBE_STORED
  }

  private final Kind kind;

  public AppendException(Kind kind, String message, Throwable cause) {
    super(message, cause, false, false);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
