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
    restrict(this.dir, "rwx------");
  }

  /** Documents hold secrets (passwords, tokens): only the node's user may read them. */
  private static void restrict(Path path, String permissions) throws IOException {
    io.walmesh.node.internal.PrivateFiles.restrict(path, permissions);
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
    Files.deleteIfExists(temp);
    try (FileChannel channel = openPrivate(temp)) {
      channel.write(java.nio.ByteBuffer.wrap(bytes));
      channel.force(true);
    }
    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    syncDir();
  }

  /** A new file only the node's user may read (0600), created with those permissions: never readable by others. */
  private static FileChannel openPrivate(Path file) throws IOException {
    java.util.Set<StandardOpenOption> options = java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    try {
      return FileChannel.open(file, options, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
          java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      return FileChannel.open(file, options); // not a POSIX file system
    }
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
