package dev.retort.core.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

/**
 * The stores of this JVM, their Hadoop configuration, and copies between a store and local disk
 * (for code that needs local files: DJL checkpoints, charts).
 *
 * <p>The configuration is Hadoop's default ({@code core-site.xml} and {@code hdfs-site.xml} from the
 * classpath, as on a cluster), with the local file system unchecksummed so local runs write the same
 * files as before (no {@code .crc} siblings). FileSystems are Retort's own instances, not Hadoop's
 * shared cache, so another component closing or reconfiguring the shared ones does not touch them.
 */
public final class Stores {
  private static final Map<String, Store> STORES = new ConcurrentHashMap<>();
  private static volatile Configuration conf;

  private Stores() {}

  /** The Hadoop configuration stores are made with. */
  public static Configuration conf() {
    Configuration c = conf;
    if (c == null) {
      c = new Configuration();
      c.setClass("fs.file.impl", org.apache.hadoop.fs.RawLocalFileSystem.class, FileSystem.class);
      c.setBoolean("fs.file.impl.disable.cache", true);
      conf = c;
    }
    return c;
  }

  /**
   * Sets the configuration of stores made from now on (tests pointing at a MiniDFSCluster, a
   * driver passing Spark's Hadoop settings) and forgets the stores made so far.
   */
  public static synchronized void configure(Configuration c) {
    Configuration copy = new Configuration(c);
    copy.setClass("fs.file.impl", org.apache.hadoop.fs.RawLocalFileSystem.class, FileSystem.class);
    copy.setBoolean("fs.file.impl.disable.cache", true);
    conf = copy;
    STORES.clear();
  }

  static Store of(Location l) {
    String key = l.scheme() + "://" + (l.uri().getAuthority() == null ? "" : l.uri().getAuthority());
    return STORES.computeIfAbsent(key, k -> {
      try {
        return new HadoopStore(FileSystem.newInstance(l.uri(), conf()));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot open the file system of " + l + ": " + e.getMessage(), e);
      }
    });
  }

  /** Throws IllegalArgumentException when no FileSystem on the classpath implements {@code scheme}. */
  static void requireFileSystem(String scheme, String location) {
    try {
      FileSystem.getFileSystemClass(scheme, conf());
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("no Hadoop FileSystem for scheme '" + scheme + "' on the classpath (" + location
          + "); add its connector (hadoop-aws for s3a, ...) or use file://, hdfs://");
    }
  }

  /** Copies a file or a folder tree from a store to a local folder (created; files replaced). */
  public static void copyToLocal(Location from, java.nio.file.Path to) {
    try {
      Store s = of(from);
      if (s.isDirectory(from)) {
        Files.createDirectories(to);
        for (Location c : s.list(from)) {
          copyToLocal(c, to.resolve(c.name()));
        }
      } else {
        Files.createDirectories(to.toAbsolutePath().getParent());
        try (InputStream in = s.open(from)) {
          Files.copy(in, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy " + from + " to " + to + ": " + e.getMessage(), e);
    }
  }

  /** Copies a local file or folder tree into a store, each file committed ({@link Store#commit}). */
  public static void copyFromLocal(java.nio.file.Path from, Location to) {
    try {
      Store s = of(to);
      if (Files.isDirectory(from)) {
        s.mkdirs(to);
        try (var list = Files.list(from)) {
          for (java.nio.file.Path c : list.sorted().toList()) {
            copyFromLocal(c, to.resolve(c.getFileName().toString()));
          }
        }
      } else {
        s.commit(to, target -> {
          try (OutputStream out = s.create(target)) {
            Files.copy(from, out);
          }
        });
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy " + from + " to " + to + ": " + e.getMessage(), e);
    }
  }
}
