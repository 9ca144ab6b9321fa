package io.walmesh.spi.backend;

/**
 * The progress of one replay.
 *
 * @param id the replay's id, unique on the backend
 * @param queued how many retained entries were put back in the queue
 * @param excluded how many entries in the range were skipped because they were excluded
 * @param remaining how many of the queued entries are not delivered (or dead-lettered) yet
 */
public record ReplayStatus(String id, long queued, long excluded, long remaining) {
  /** Whether every queued entry was settled. */
  public boolean done() {
    return remaining == 0;
  }
}
