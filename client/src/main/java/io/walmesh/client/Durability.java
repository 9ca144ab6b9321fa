package io.walmesh.client;

/**
 * Whether a write's entry is stored, considering every attempt the client made. It mirrors the
 * protocol's {@code Trilean} without its unset values.
 */
public enum Durability {
  /** Stored durably: it will be delivered, or dead-lettered. */
  SUCCESS,
  /** Certainly not stored by any attempt: writing it again is safe. */
  FAILED,
  /**
   * May be stored: an attempt reached the node and its answer was lost or inconclusive. Write it
   * again with the same idempotency key ({@link WriteResult#idempotencyKey()}) to find out without
   * storing it twice.
   */
  UNKNOWN
}
