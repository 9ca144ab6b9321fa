package io.walmesh.protocol;

/**
 * Why a write was refused before it reached the log. Codes equal the gRPC status codes the
 * gateway answers, and are the failure codes of event-bus replies on {@link Addresses#write}.
 */
public enum WriteFailure {
  /** The request is malformed: a missing or bad field, a payload over the namespace's limit. */
  INVALID_ARGUMENT(3),
  /** The namespace does not exist. */
  NOT_FOUND(5),
  /** The namespace's bound on in-flight writes is reached: back off and retry. */
  RESOURCE_EXHAUSTED(8),
  /** A node failed unexpectedly while taking the write; the entry is not stored. */
  INTERNAL(13),
  /** No node owns the namespace right now. */
  UNAVAILABLE(14);

  private final int code;

  WriteFailure(int code) {
    this.code = code;
  }

  /** The gRPC status code, also the event-bus failure code. */
  public int code() {
    return code;
  }

  /** The failure with this code, or {@code null}. */
  public static WriteFailure ofCode(int code) {
    for (WriteFailure failure : values()) {
      if (failure.code == code) {
        return failure;
      }
    }
    return null;
  }
}
