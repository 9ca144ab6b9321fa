package io.walmesh.spi.backend;

/**
 * A backend's counts at one instant.
 *
 * @param pending entries stored and not yet delivered (including leased and delayed ones)
 * @param leased entries currently handed to a consumer
 * @param deadLetters entries in the dead-letter queue
 * @param oldestDueLagMs how far past its due time the oldest due, undelivered entry is; 0 when none
 */
public record BackendStats(long pending, long leased, long deadLetters, long oldestDueLagMs) {
  /** No entries. */
  public static final BackendStats NONE = new BackendStats(0, 0, 0, 0);
}
