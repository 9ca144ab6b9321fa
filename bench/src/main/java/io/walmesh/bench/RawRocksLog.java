package io.walmesh.bench;

import io.vertx.core.Future;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The local backend's baseline: plain RocksDB synced writes with the same group commit (one writer
 * thread drains every queued append into one synced batch), and nothing else.
 */
final class RawRocksLog implements AutoCloseable {
  private record Append(byte[] value, CompletableFuture<Long> done) {
  }

  private final Options options = new Options().setCreateIfMissing(true);
  private final RocksDB db;
  private final LinkedBlockingQueue<Append> queue = new LinkedBlockingQueue<>();
  private final AtomicLong seq = new AtomicLong();
  private final Thread writer;
  private volatile boolean closed;
  private volatile LongConsumer onCommitted = k -> { };

  RawRocksLog(Path dir) throws Exception {
    RocksDB.loadLibrary();
    db = RocksDB.open(options, dir.toString());
    writer = new Thread(this::run, "raw-rocks-writer");
    writer.start();
  }

  /** Called with each committed key, after the sync: what a hand-written consumer tails. */
  void onCommitted(LongConsumer listener) {
    this.onCommitted = listener;
  }

  Future<Long> append(byte[] value) {
    return Future.fromCompletionStage(appendAsync(value));
  }

  /** The append without Vert.x: completed on the writer thread after the synced batch that holds it. */
  CompletableFuture<Long> appendAsync(byte[] value) {
    CompletableFuture<Long> done = new CompletableFuture<>();
    queue.add(new Append(value, done));
    return done;
  }

  byte[] get(long key) throws Exception {
    return db.get(ByteBuffer.allocate(8).putLong(key).array());
  }

  void delete(long key) throws Exception {
    db.delete(ByteBuffer.allocate(8).putLong(key).array());
  }

  private void run() {
    List<Append> batch = new ArrayList<>();
    try (WriteOptions sync = new WriteOptions().setSync(true)) {
      while (!closed) {
        Append first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, 1023);
        long[] keys = new long[batch.size()];
        try (WriteBatch writes = new WriteBatch()) {
          for (int i = 0; i < batch.size(); i++) {
            keys[i] = seq.incrementAndGet();
            writes.put(ByteBuffer.allocate(8).putLong(keys[i]).array(), batch.get(i).value());
          }
          db.write(sync, writes);
          for (int i = 0; i < batch.size(); i++) {
            batch.get(i).done().complete(keys[i]);
            onCommitted.accept(keys[i]);
          }
        } catch (Exception e) {
          batch.forEach(a -> a.done().completeExceptionally(e));
        }
        batch.clear();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() throws Exception {
    closed = true;
    writer.join();
    db.close();
    options.close();
  }
}
