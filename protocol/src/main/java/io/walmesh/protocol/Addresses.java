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
}
