package io.walmesh.backend.support;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteOptions;

/**
 * The idempotency keys of the node's namespaces on backends without their own dedupe (SQS standard
 * queues, Kafka topics): key
 * {@code namespace 0x00 idempotency-key}, value {@code write-time (8 bytes) + entry id}. Written
 * synced before the write is answered, so a retry after a node restart still finds it. Blocking:
 * call from a worker.
 */
public final class IdempotencyStore implements AutoCloseable {
  static {
    RocksDB.loadLibrary();
  }

  private final Options options;
  private final RocksDB db;

  public IdempotencyStore(Path dir) throws Exception {
    Files.createDirectories(dir);
    options = new Options().setCreateIfMissing(true);
    db = RocksDB.open(options, dir.toString());
  }

  private static byte[] key(String namespace, String idempotencyKey) {
    return (namespace + "\u0000" + idempotencyKey).getBytes(StandardCharsets.UTF_8);
  }

  /** The entry id stored for the key when it was written at most {@code windowMs} before {@code writeTime}. */
  public String find(String namespace, String idempotencyKey, long writeTime, long windowMs) throws RocksDBException {
    byte[] value = db.get(key(namespace, idempotencyKey));
    if (value == null || writeTime - ByteBuffer.wrap(value).getLong() > windowMs) {
      return null;
    }
    return new String(value, Long.BYTES, value.length - Long.BYTES, StandardCharsets.UTF_8);
  }

  public void put(String namespace, String idempotencyKey, long writeTime, String entryId) throws RocksDBException {
    byte[] id = entryId.getBytes(StandardCharsets.UTF_8);
    try (WriteOptions sync = new WriteOptions().setSync(true)) {
      db.put(sync, key(namespace, idempotencyKey), ByteBuffer.allocate(Long.BYTES + id.length).putLong(writeTime).put(id).array());
    }
  }

  /** Forgets the namespace's keys written before {@code oldest}; returns how many. */
  public int sweep(String namespace, long oldest) throws RocksDBException {
    byte[] prefix = (namespace + "\u0000").getBytes(StandardCharsets.UTF_8);
    int swept = 0;
    try (RocksIterator it = db.newIterator()) {
      for (it.seek(prefix); it.isValid() && startsWith(it.key(), prefix); it.next()) {
        if (ByteBuffer.wrap(it.value()).getLong() < oldest) {
          db.delete(it.key());
          swept++;
        }
      }
    }
    return swept;
  }

  private static boolean startsWith(byte[] key, byte[] prefix) {
    return key.length >= prefix.length && java.util.Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }

  @Override
  public void close() {
    db.close();
    options.close();
  }
}
