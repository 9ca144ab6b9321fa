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

  /**
   * Whether the task only reads what earlier batches made durable (a poll). The log thread runs such a task before it
   * prepares the batch it was drained with, so it does not wait for that batch's write and fsync: {@link #complete} is
   * called with null, {@link #prepare} never. It sees none of the writes of the tasks drained with it, as if it had
   * been queued before them.
   */
  default boolean readOnly() {
    return false;
  }

  /**
   * Whether the task reads through the batch ({@link LocalLog.Batch#iterator}, {@link LocalLog.Batch#get}) to see what
   * the tasks before it wrote. A batch is indexed for that only when one of its tasks says so; an index costs a little
   * for every row, so a plain append says false.
   */
  default boolean readsBatch() {
    return true;
  }

  /**
   * Runs on the log thread once the batch this task was prepared in is written, before any task of it completes: for
   * what cannot go into a batch (a range delete, which an indexed batch does not take), and must come after every
   * write of the batch. A failure here is this task's failure.
   */
  default void afterWrite() throws Exception {
  }
}
