package dev.retort.filter.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A task's output file, written under a hidden temporary name and moved into place when complete:
 * readers skip names starting with '.', and a retried task replaces its own file.
 */
final class TaskFile {
  private TaskFile() {}

  /** A fresh temporary sibling of {@code file} for this process and thread (its folder created). */
  static Path temporary(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-" + Thread.currentThread().getId());
    Files.deleteIfExists(tmp);
    return tmp;
  }

  /** Moves the completed temporary over {@code file}. */
  static void commit(Path tmp, Path file) throws IOException {
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** Deletes a temporary that will not be completed (a leftover would be ignored by readers anyway). */
  static void discard(Path tmp) {
    try {
      if (tmp != null) {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      // ignored: the name starts with '.'
    }
  }
}
