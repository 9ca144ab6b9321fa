package io.walmesh.node.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/** Files only the node's user may read: keys, secrets, namespace documents. */
public final class PrivateFiles {
  private PrivateFiles() {
  }

  /** Sets POSIX permissions ({@code rw-------} for a file, {@code rwx------} for a directory); a no-op off POSIX (Windows ACLs apply). */
  public static void restrict(Path path, String permissions) throws IOException {
    try {
      Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(permissions));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system: its ACLs apply
    }
  }

  /** Writes {@code text} to {@code file} atomically; when {@code secret}, the file is 0600 before anything is written to it. */
  public static void write(Path file, String text, boolean secret) throws IOException {
    Path temp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(temp);
    Files.createFile(temp);
    if (secret) {
      restrict(temp, "rw-------");
    }
    Files.writeString(temp, text);
    Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
