package io.walmesh.backend.local;

/**
 * One unit of work on the log thread. The thread drains many tasks, lets each {@link #prepare} its
 * reads and writes into one shared batch, writes the batch once (synced if any task asks), then
 * {@link #complete}s them all: that is the group commit.
 */
interface LogTask {

  /** Reads what it needs and adds its writes to the batch; returns whether the batch must be synced. */
  boolean prepare(LocalLog.Batch batch) throws Exception;

  /** Called after the batch write: {@code failure} is null when the batch is durable. */
  void complete(Throwable failure);
}
