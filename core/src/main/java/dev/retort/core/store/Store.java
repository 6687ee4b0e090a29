package dev.retort.core.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

/**
 * Every file a stage reads or writes goes through this (after Iceberg's {@code FileIO}): one
 * implementation on Hadoop FileSystem serves local disks, HDFS and object stores alike.
 *
 * <p>Commit contract of {@link #commit}: a reader sees the file whole or not at all, and a writer
 * that dies leaves nothing under the final name. Where rename is atomic (local disks, HDFS) the
 * file is written under a hidden temporary name ({@code .name.tmp-*}, which readers skip) and
 * renamed over the final name; on a local disk the file is synced before the rename and its
 * folder after it. Where it is not (object stores) the file is written once under its
 * final name, which the store makes visible only when the stream closes; a folder of such files is
 * then committed by a manifest written last ({@link Manifest}), and readers trust only what the
 * manifest lists, so a retried or speculative task's extra file is never read.
 *
 * <p>Missing files: {@link #exists}/{@link #list} answer false/empty; other calls throw
 * {@link java.io.FileNotFoundException}.
 */
public interface Store {
  /** Writes {@code to}, where {@code target} is the name the body must write (the final or a temporary name). */
  @FunctionalInterface
  interface Body {
    void writeTo(Location target) throws IOException;
  }

  /** The store holding {@code location} (one shared instance per scheme and authority). */
  static Store of(Location location) {
    return Stores.of(location);
  }

  /** True where a rename replaces a file atomically; false on object stores. */
  boolean atomicRename();

  boolean exists(Location l) throws IOException;

  boolean isFile(Location l) throws IOException;

  boolean isDirectory(Location l) throws IOException;

  long size(Location file) throws IOException;

  /** The direct children of a folder, sorted; empty when it does not exist. */
  List<Location> list(Location dir) throws IOException;

  InputStream open(Location file) throws IOException;

  /** A new file under exactly this name (replacing one); the caller closes it. Prefer {@link #commit}. */
  OutputStream create(Location file) throws IOException;

  /**
   * A new file under exactly this name, only if none is there: exclusive on local disks and HDFS
   * (O_EXCL, the NameNode's create); on object stores a check then a write, which two writers in
   * the same instant can both pass (good enough for the run lock, whose holders start minutes apart).
   *
   * @throws java.nio.file.FileAlreadyExistsException or Hadoop's FileAlreadyExistsException when the file exists
   */
  OutputStream createNew(Location file) throws IOException;

  /**
   * Forces a written file's bytes, or a folder's entries, to the device where that is the store's
   * job (local disks: fsync); nothing on HDFS (replicated on close) and object stores.
   */
  void sync(Location fileOrFolder) throws IOException;

  void mkdirs(Location dir) throws IOException;

  /** Deletes a file or a folder tree; nothing when absent. */
  void delete(Location l) throws IOException;

  /** Renames a file or folder, replacing a file at {@code to}; throws when the store cannot. */
  void rename(Location from, Location to) throws IOException;

  /** Writes {@code file} under the commit contract above. */
  void commit(Location file, Body body) throws IOException;

  /** Parquet's view of a file to read. */
  org.apache.parquet.io.InputFile inputFile(Location file) throws IOException;

  /** Parquet's view of a file to write (exactly this name: use inside {@link #commit}). */
  org.apache.parquet.io.OutputFile outputFile(Location file) throws IOException;
}
