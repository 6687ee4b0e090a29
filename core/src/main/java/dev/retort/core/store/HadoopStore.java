package dev.retort.core.store;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.hadoop.util.HadoopOutputFile;

/**
 * {@link Store} on one Hadoop FileSystem instance. Hadoop 3.4 has no path capability for atomic
 * rename, so it goes by scheme: local disks and HDFS (also through viewfs and webhdfs) rename
 * atomically; every other scheme is treated as an object store, the safe assumption.
 */
final class HadoopStore implements Store {
  private static final Set<String> ATOMIC_RENAME_SCHEMES = Set.of("file", "hdfs", "viewfs", "webhdfs", "swebhdfs");
  private final FileSystem fs;
  private final boolean atomicRename;

  HadoopStore(FileSystem fs) {
    this.fs = fs;
    String scheme = fs.getUri().getScheme().toLowerCase(Locale.ROOT);
    this.atomicRename = ATOMIC_RENAME_SCHEMES.contains(scheme);
  }

  @Override
  public boolean atomicRename() {
    return atomicRename;
  }

  @Override
  public boolean exists(Location l) throws IOException {
    return fs.exists(l.hadoop());
  }

  @Override
  public boolean isFile(Location l) throws IOException {
    try {
      return fs.getFileStatus(l.hadoop()).isFile();
    } catch (FileNotFoundException e) {
      return false;
    }
  }

  @Override
  public boolean isDirectory(Location l) throws IOException {
    try {
      return fs.getFileStatus(l.hadoop()).isDirectory();
    } catch (FileNotFoundException e) {
      return false;
    }
  }

  @Override
  public long size(Location file) throws IOException {
    return fs.getFileStatus(file.hadoop()).getLen();
  }

  @Override
  public List<Location> list(Location dir) throws IOException {
    FileStatus[] st;
    try {
      st = fs.listStatus(dir.hadoop());
    } catch (FileNotFoundException e) {
      return List.of();
    }
    List<Location> out = new ArrayList<>(st.length);
    for (FileStatus s : st) {
      out.add(dir.resolve(s.getPath().getName()));
    }
    out.sort(null);
    return out;
  }

  @Override
  public InputStream open(Location file) throws IOException {
    return fs.open(file.hadoop());
  }

  @Override
  public OutputStream create(Location file) throws IOException {
    return fs.create(file.hadoop(), true);
  }

  @Override
  public OutputStream createNew(Location file) throws IOException {
    if ("file".equals(fs.getUri().getScheme())) {
      // Hadoop's local create checks then opens; the JDK's CREATE_NEW is one exclusive open.
      java.nio.file.Path p = java.nio.file.Path.of(file.uri());
      java.nio.file.Files.createDirectories(p.getParent());
      return java.nio.file.Files.newOutputStream(p, java.nio.file.StandardOpenOption.CREATE_NEW,
          java.nio.file.StandardOpenOption.WRITE);
    }
    return fs.create(file.hadoop(), false);
  }

  @Override
  public void mkdirs(Location dir) throws IOException {
    if (!fs.mkdirs(dir.hadoop())) {
      throw new IOException("cannot create folder " + dir);
    }
  }

  @Override
  public void delete(Location l) throws IOException {
    fs.delete(l.hadoop(), true);
  }

  @Override
  public void rename(Location from, Location to) throws IOException {
    if (fs instanceof org.apache.hadoop.hdfs.DistributedFileSystem dfs) {
      dfs.rename(from.hadoop(), to.hadoop(), Options.Rename.OVERWRITE);
      return;
    }
    Location parent = to.parent();
    if (parent != null) {
      fs.mkdirs(parent.hadoop());
    }
    // Local: File.renameTo replaces a file atomically (POSIX rename). Elsewhere a file in the way
    // goes first (readers briefly see no file, never a partial one).
    if (!fs.rename(from.hadoop(), to.hadoop())) {
      if (isFile(to) && fs.delete(to.hadoop(), false) && fs.rename(from.hadoop(), to.hadoop())) {
        return;
      }
      throw new IOException("cannot rename " + from + " to " + to);
    }
  }

  @Override
  public void commit(Location file, Body body) throws IOException {
    Location parent = file.parent();
    if (parent != null && !fs.exists(parent.hadoop())) {
      fs.mkdirs(parent.hadoop());
    }
    if (!atomicRename) {
      // Object stores make an object visible only when its upload completes: write once, in place.
      body.writeTo(file);
      return;
    }
    Location tmp = file.sibling("." + file.name() + ".tmp-" + UUID.randomUUID());
    boolean done = false;
    try {
      body.writeTo(tmp);
      sync(tmp);
      rename(tmp, file);
      done = true;
      sync(parent);
    } finally {
      if (!done) {
        try {
          fs.delete(tmp.hadoop(), false);
        } catch (IOException e) {
          // a leftover temporary is hidden from readers ('.' name)
        }
      }
    }
  }

  /**
   * On a local disk, forces a file's bytes (or a folder's entries) to the device, so a commit
   * survives a power loss, not only a killed process. HDFS needs none: a closed file is
   * acknowledged by every datanode of its pipeline (replicated, not forced to disk). A folder that
   * cannot be opened for sync (some file systems) is skipped.
   */
  @Override
  public void sync(Location l) throws IOException {
    if (l == null || !"file".equals(fs.getUri().getScheme())) {
      return;
    }
    java.nio.file.Path p = java.nio.file.Path.of(l.uri());
    boolean folder = java.nio.file.Files.isDirectory(p);
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(p, java.nio.file.StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      if (!folder) {
        throw e;
      }
    }
  }

  @Override
  public org.apache.parquet.io.InputFile inputFile(Location file) throws IOException {
    return HadoopInputFile.fromPath(file.hadoop(), fs.getConf());
  }

  @Override
  public org.apache.parquet.io.OutputFile outputFile(Location file) throws IOException {
    return HadoopOutputFile.fromPath(file.hadoop(), fs.getConf());
  }
}
