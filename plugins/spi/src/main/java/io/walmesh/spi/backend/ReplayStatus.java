package io.walmesh.spi.backend;

/**
 * The progress of one replay.
 *
 * @param id the replay's id, unique on the backend
 * @param queued how many retained entries were put back in the queue
 * @param excluded how many entries in the range were skipped because they were excluded
 * @param remaining how many of the queued entries are not settled yet (delivered or dead-lettered)
 * @param deadLettered how many of the settled ones went to the DLQ; -1 when the backend cannot tell
 */
public record ReplayStatus(String id, long queued, long excluded, long remaining, long deadLettered) {
  /** Whether every queued entry was settled. */
  public boolean done() {
    return remaining == 0;
  }
}
