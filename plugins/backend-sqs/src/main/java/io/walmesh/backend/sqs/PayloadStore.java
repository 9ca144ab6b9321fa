package io.walmesh.backend.sqs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * Out-of-line payloads: one file per payload, written atomically and fsynced before the entry that
 * refers to it is sent, deleted when the entry is delivered or purged. Blocking: call from a worker.
 */
final class PayloadStore {
  private final Path dir;

  PayloadStore(Path dir) throws IOException {
    this.dir = Files.createDirectories(dir);
  }

  /** Stores a payload durably and returns its reference. */
  String put(byte[] payload) throws IOException {
    String ref = UUID.randomUUID().toString();
    Path temp = dir.resolve("." + ref + ".tmp");
    try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer buffer = ByteBuffer.wrap(payload);
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      channel.force(true);
    }
    Files.move(temp, dir.resolve(ref), StandardCopyOption.ATOMIC_MOVE);
    try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
      directory.force(true);
    }
    return ref;
  }

  byte[] get(String ref) throws IOException {
    Path file = dir.resolve(ref);
    if (!file.normalize().startsWith(dir) || !Files.exists(file)) {
      throw new IOException("out-of-line payload " + ref + " is missing from " + dir);
    }
    return Files.readAllBytes(file);
  }

  /** Deletes every payload of the namespace, and its directory. */
  void deleteAll() throws IOException {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (java.util.stream.Stream<Path> files = Files.list(dir)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        Files.deleteIfExists(file);
      }
    }
    Files.deleteIfExists(dir);
  }

  void delete(String ref) throws IOException {
    Path file = dir.resolve(ref);
    if (file.normalize().startsWith(dir)) {
      Files.deleteIfExists(file);
    }
  }
}
