package io.walmesh.client;

/**
 * How a write's last attempt ended; what a caller branches on. {@link WriteResult#durable()} says
 * whether the entry is stored, {@link WriteResult#status()} gives the gRPC status behind it.
 */
public enum Outcome {
  /** The node stored the entry ({@code durable = SUCCESS}). */
  STORED,
  /** The node answered {@code durable = FAILED}: not stored, for example while the namespace was reconfigured. */
  NOT_STORED,
  /**
   * The node answered {@code durable = UNKNOWN}, or a status that leaves it open ({@code CANCELLED},
   * {@code ABORTED}, a server-side {@code DEADLINE_EXCEEDED}, ...): the entry may be stored.
   */
  MAYBE_STORED,
  /**
   * The node refused the write before storing it: {@code INVALID_ARGUMENT}, {@code NOT_FOUND},
   * {@code RESOURCE_EXHAUSTED}, {@code UNAVAILABLE}, {@code INTERNAL}, ... (see {@link WriteResult#status()}).
   */
  REFUSED,
  /**
   * No gateway was reached, or the connection broke: connection refused or reset, or nothing
   * registered at the event-bus gateway address. Status {@code UNAVAILABLE}.
   */
  UNREACHABLE,
  /** The call's deadline ran out before an answer. Status {@code DEADLINE_EXCEEDED}. */
  DEADLINE_EXCEEDED,
  /** The client was closed before an answer. Status {@code CANCELLED}. */
  CLOSED
}
