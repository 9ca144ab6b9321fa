package io.walmesh.spi.target;

/** A failed delivery; its {@link Kind} decides between a retry and the DLQ. */
public final class DeliveryException extends RuntimeException {

  /** Whether retrying the delivery can help. */
  public enum Kind {
    /** The target may accept the entry later: retry with backoff. */
    RETRYABLE,
    /** The target will never accept this entry: dead-letter it now. */
    PERMANENT
  }

  private final Kind kind;

  public DeliveryException(Kind kind, String message) {
    super(message, null, false, false);
    this.kind = kind;
  }

  public static DeliveryException retryable(String message) {
    return new DeliveryException(Kind.RETRYABLE, message);
  }

  public static DeliveryException permanent(String message) {
    return new DeliveryException(Kind.PERMANENT, message);
  }

  public Kind kind() {
    return kind;
  }
}
