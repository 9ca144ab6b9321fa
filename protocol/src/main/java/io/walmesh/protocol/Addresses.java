package io.walmesh.protocol;

/**
 * Every event-bus address walmesh uses, built in one place. Public addresses are lowercase and
 * dotted; internal ones start with {@code __walmesh.}.
 */
public final class Addresses {
  /** Prefix of the per-namespace write addresses. */
  public static final String WRITE_PREFIX = "walmesh.v1.write.";
  /**
   * The gateway's event-bus address, on every node: send a {@code WriteToLogRequest} (protobuf
   * bytes as a {@code Buffer}) for any namespace; the answer is a {@code WriteToLogResponse}, or a
   * failure whose code is a {@link WriteFailure} code, {@code NOT_FOUND} and {@code UNAVAILABLE}
   * included. Prefer it to {@link #write} unless you need to skip the gateway hop. In a mesh, a
   * node offers it to other members only with {@code cluster.event-bus-api: true}; code in the
   * node's own JVM can always use it.
   */
  public static final String GATEWAY_WRITE = "walmesh.v1.write";
  /** Prefix of internal addresses. */
  public static final String INTERNAL_PREFIX = "__walmesh.";

  private Addresses() {
  }

  /**
   * The address where the producer owning {@code namespace} takes writes: send a
   * {@code WriteToLogRequest} as a protobuf-encoded {@code Buffer}, get a {@code WriteToLogResponse}
   * back the same way, or a failure whose code is a {@link WriteFailure} code.
   */
  public static String write(String namespace) {
    return WRITE_PREFIX + namespace;
  }

  /** At most this many writes in one message on {@link #writeBatch}. */
  public static final int MAX_BATCH_WRITES = 1_000;

  /**
   * Internal: where the producer owning {@code namespace} takes several writes in one message from the gateway of
   * another member of the mesh: a {@code WriteToLogBatchRequest} (at most {@link #MAX_BATCH_WRITES} writes, each
   * validated and stored on its own), answered with a {@code WriteToLogBatchResponse} holding one result per write, in
   * order, whose status code is 0 or a {@link WriteFailure} code. The trace context of the i-th write is the header
   * {@link #batchTraceparent}.
   */
  public static String writeBatch(String namespace) {
    return INTERNAL_PREFIX + "write-batch." + namespace;
  }

  /** The header of a {@link #writeBatch} message holding the {@code traceparent} of its {@code index}-th write. */
  public static String batchTraceparent(int index) {
    return "traceparent-" + index;
  }
}
