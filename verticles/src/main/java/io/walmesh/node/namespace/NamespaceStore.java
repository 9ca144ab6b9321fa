package io.walmesh.node.namespace;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The file configuration store: one {@code <name>.json} per namespace under
 * {@code <data-dir>/namespaces}. Writes are atomic (temp file, fsync, rename, fsync of the
 * directory), so a crash leaves either the old or the new document. Blocking: call from a worker.
 */
public final class NamespaceStore {

  /** A stored document that failed to load, with why. */
  public record Broken(Path file, String problem) {
  }

  private final Path dir;

  public NamespaceStore(Path dir) throws IOException {
    this.dir = Files.createDirectories(dir);
  }

  public Path dir() {
    return dir;
  }

  /** Every stored namespace document as raw JSON text, by file. */
  public List<Path> files() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return new ArrayList<>(files.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList());
    }
  }

  public String read(Path file) throws IOException {
    return Files.readString(file, StandardCharsets.UTF_8);
  }

  public void save(NamespaceConfig config) throws IOException {
    Path target = dir.resolve(config.name() + ".json");
    Path temp = dir.resolve("." + config.name() + ".json.tmp");
    byte[] bytes = config.toJson().encodePrettily().getBytes(StandardCharsets.UTF_8);
    try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      channel.write(java.nio.ByteBuffer.wrap(bytes));
      channel.force(true);
    }
    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    syncDir();
  }

  public void delete(String name) throws IOException {
    Files.deleteIfExists(dir.resolve(name + ".json"));
    syncDir();
  }

  private void syncDir() throws IOException {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }
}
