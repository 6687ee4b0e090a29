package dev.retort.filter.job;

import dev.retort.core.store.Location;
import dev.retort.core.store.Store;
import java.io.IOException;
import java.util.UUID;

/**
 * A task's output file, committed when complete: where the store renames atomically it is written
 * under a hidden temporary name and moved into place (readers skip names starting with '.', and a
 * retried task replaces its own file); on an object store it is written once under its final name,
 * which the store makes visible only when the upload completes.
 */
final class TaskFile {
  private TaskFile() {}

  /** The name to write: a fresh temporary sibling of {@code file} (its folder created), or {@code file} on an object store. */
  static Location temporary(Location file) throws IOException {
    Store store = Store.of(file);
    if (!store.atomicRename()) {
      return file;
    }
    if (file.isLocal()) {
      java.nio.file.Files.createDirectories(file.localPath().getParent());
    } else {
      store.mkdirs(file.parent());
    }
    return file.sibling("." + file.name() + ".tmp-" + UUID.randomUUID());
  }

  /** Moves the completed temporary over {@code file} (nothing when they are one), synced before and after on a local disk. */
  static void commit(Location tmp, Location file) throws IOException {
    if (!tmp.equals(file)) {
      Store store = Store.of(file);
      store.sync(tmp);
      store.rename(tmp, file);
      store.sync(file.parent());
    }
  }

  /** Deletes a temporary that will not be completed (a leftover would be ignored by readers anyway). */
  static void discard(Location tmp, Location file) {
    try {
      if (tmp != null && !tmp.equals(file)) {
        Store.of(tmp).delete(tmp);
      }
    } catch (IOException e) {
      // ignored: the name starts with '.'
    }
  }
}
