package dev.retort.core.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

/**
 * The stores of this JVM, their Hadoop configuration, and copies between a store and local disk
 * (for code that needs local files: DJL checkpoints, charts).
 *
 * <p>The configuration is Hadoop's default ({@code core-site.xml} and {@code hdfs-site.xml} from the
 * classpath, as on a cluster); the local file system is unchecksummed so local runs write the same
 * files as before (no {@code .crc} siblings). FileSystems are Retort's own instances, not Hadoop's
 * shared cache, so another component closing or reconfiguring the shared ones does not touch them.
 */
public final class Stores {
  private static final Map<String, Store> STORES = new ConcurrentHashMap<>();
  private static volatile Configuration conf;

  private Stores() {}

  /**
   * The Hadoop configuration stores are made with: Hadoop's default (core-site.xml and
   * hdfs-site.xml from the classpath) plus every {@code spark.hadoop.K=V} system property as
   * {@code K=V}, as Spark applies them (spark-submit's {@code --conf spark.hadoop.fs.s3a.endpoint=...}
   * reaches the driver as system properties; commands without Spark take the same with -D).
   */
  public static Configuration conf() {
    Configuration c = conf;
    if (c == null) {
      c = new Configuration();
      for (String k : System.getProperties().stringPropertyNames()) {
        if (k.startsWith(SPARK_HADOOP)) {
          c.set(k.substring(SPARK_HADOOP.length()), System.getProperty(k));
        }
      }
      conf = c;
    }
    return c;
  }

  private static final String SPARK_HADOOP = "spark.hadoop.";

  /**
   * Sets the configuration of stores made from now on (tests pointing at a MiniDFSCluster, a
   * driver passing Spark's Hadoop settings) and forgets the stores made so far.
   */
  public static synchronized void configure(Configuration c) {
    conf = new Configuration(c);
    settings = null;
    STORES.clear();
  }

  /**
   * This JVM's settings that differ from Hadoop's defaults: what a Spark job ships to its tasks
   * ({@link #apply}), so executors reach the stores the driver reaches (their JVMs get neither the
   * driver's system properties nor its configure calls).
   */
  public static java.util.HashMap<String, String> settings() {
    java.util.HashMap<String, String> out = settings;
    if (out == null) {
      Configuration base = new Configuration();
      Configuration c = conf();
      out = new java.util.HashMap<>();
      for (Map.Entry<String, String> e : c) {
        String raw = c.getRaw(e.getKey());
        if (raw != null && !raw.equals(base.getRaw(e.getKey()))) {
          out.put(e.getKey(), raw);
        }
      }
      settings = out;
    }
    return new java.util.HashMap<>(out);
  }

  private static volatile java.util.HashMap<String, String> settings;

  /**
   * Gives a Spark session's Hadoop configuration this JVM's store settings, so what Spark reads
   * itself (Parquet through its data sources) reaches the stores the way Retort's own reads do.
   */
  public static void shareWith(Configuration sparkHadoopConf) {
    settings().forEach(sparkHadoopConf::set);
  }

  /** Applies a driver's {@link #settings} in a task's JVM; nothing when this JVM already has them. */
  public static synchronized void apply(Map<String, String> settings) {
    boolean same = true;
    for (Map.Entry<String, String> e : settings.entrySet()) {
      same &= e.getValue().equals(conf().getRaw(e.getKey()));
    }
    if (!same) {
      Configuration c = new Configuration(conf());
      settings.forEach(c::set);
      configure(c);
    }
  }

  static Store of(Location l) {
    String key = l.scheme() + "://" + (l.uri().getAuthority() == null ? "" : l.uri().getAuthority());
    return STORES.computeIfAbsent(key, k -> {
      try {
        if (l.isLocal()) {
          // Unchecksummed: no .crc siblings. (Set on this instance only: connectors such as S3A
          // need fs.file.impl to stay the checksummed LocalFileSystem for their buffers.)
          org.apache.hadoop.fs.RawLocalFileSystem raw = new org.apache.hadoop.fs.RawLocalFileSystem();
          raw.initialize(java.net.URI.create("file:///"), conf());
          return new HadoopStore(raw);
        }
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

  private static final java.util.Set<String> MARKERS = java.util.Set.of(Manifest.FILE, "provenance.json");

  /**
   * The local cache: {@code -Dretort.cache-dir}, else {@code retort-cache} in the temporary folder.
   * Code that needs local files (DJL checkpoints, trainers) works on copies here.
   */
  public static java.nio.file.Path cacheDir() {
    String d = System.getProperty("retort.cache-dir");
    return d != null && !d.isBlank() ? java.nio.file.Path.of(d)
        : java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "retort-cache");
  }

  /**
   * The cache path standing for a location: one folder per URI, named so a person can tell which,
   * holding a copy under the location's own name (readers go by a file's extension).
   */
  private static java.nio.file.Path cacheFor(Location l) {
    String id = dev.retort.core.config.RetortConfig.sha256(l.uri().toString()).substring(0, 12);
    return cacheDir().resolve(l.name() + "-" + id).resolve(l.name());
  }

  /**
   * A local path holding what {@code l} holds: {@code l} itself when local, else a fresh copy in
   * the cache (for inputs read by code that needs local files).
   */
  public static java.nio.file.Path localCopy(Location l) {
    if (l.isLocal()) {
      return l.localPath();
    }
    java.nio.file.Path local = cacheFor(l);
    deleteLocal(local);
    copyToLocal(l, local);
    return local;
  }

  /**
   * As {@link #localCopy}, but a copy of this JVM's own (deleted when the JVM exits), for code that
   * may run in several JVMs of one host at once, such as Spark executors loading a model: no JVM
   * ever replaces files another one is reading.
   */
  public static java.nio.file.Path privateCopy(Location l) {
    if (l.isLocal()) {
      return l.localPath();
    }
    java.nio.file.Path own = cacheFor(l).getParent().resolve("jvm-" + ProcessHandle.current().pid() + "-"
        + java.util.UUID.randomUUID().toString().substring(0, 8));
    java.nio.file.Path local = own.resolve(l.name());
    copyToLocal(l, local);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        deleteLocal(own);
      } catch (RuntimeException e) {
        // best effort at exit: the cache folder is disposable
      }
    }, "retort-private-copy-cleanup"));
    return local;
  }

  /**
   * A local folder to write an output that belongs at {@code l}: {@code l} itself when local, else
   * a cache folder holding a copy of what {@code l} already holds (so a resumable writer resumes
   * from its checkpoints). Publish it with {@link #copyFromLocal} when the writer is done.
   */
  public static java.nio.file.Path localMirror(Location l) {
    if (l.isLocal()) {
      return l.localPath();
    }
    java.nio.file.Path local = cacheFor(l);
    deleteLocal(local);
    try {
      if (of(l).exists(l)) {
        copyToLocal(l, local);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + l + ": " + e.getMessage(), e);
    }
    return local;
  }

  private static void deleteLocal(java.nio.file.Path p) {
    if (!Files.exists(p)) {
      return;
    }
    try (var walk = Files.walk(p)) {
      for (java.nio.file.Path f : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(f);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clear " + p + ": " + e.getMessage(), e);
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

  /**
   * Makes {@code to} hold what the local folder {@code from} holds, for outputs written on local
   * disk (trainers, logs) that belong on a store: {@code to}'s old {@code _SUCCESS} goes first, so a
   * reader never takes a half-published folder as complete; then the files {@code from} no longer
   * has (a trainer's pruned checkpoints); then {@link #copyFromLocal}, markers last. Hidden names
   * ({@code .x}: writers' temporaries) are neither copied nor removed.
   */
  public static void publish(java.nio.file.Path from, Location to) {
    try {
      Store s = of(to);
      s.delete(to.resolve(Manifest.FILE));
      prune(s, to, from);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot publish " + from + " to " + to + ": " + e.getMessage(), e);
    }
    copyFromLocal(from, to);
  }

  private static void prune(Store s, Location dir, java.nio.file.Path local) throws IOException {
    for (Location c : s.list(dir)) {
      if (c.name().startsWith(".")) {
        continue;
      }
      java.nio.file.Path l = local.resolve(c.name());
      boolean storeDir = s.isDirectory(c);
      if (!Files.exists(l) || storeDir != Files.isDirectory(l)) {
        s.delete(c);
      } else if (storeDir) {
        prune(s, c, l);
      }
    }
  }

  /**
   * Copies a local file or folder tree into a store, each file committed ({@link Store#commit});
   * in each folder the markers ({@code _SUCCESS}, {@code provenance.json}) go last, so a reader
   * never finds a marker over files still on their way.
   */
  public static void copyFromLocal(java.nio.file.Path from, Location to) {
    try {
      Store s = of(to);
      if (Files.isDirectory(from)) {
        s.mkdirs(to);
        try (var list = Files.list(from)) {
          List<java.nio.file.Path> children = new ArrayList<>(list.sorted().toList());
          children.sort(java.util.Comparator.comparing((java.nio.file.Path c) -> MARKERS.contains(c.getFileName().toString())));
          for (java.nio.file.Path c : children) {
            if (c.getFileName().toString().startsWith(".")) {
              continue; // a writer's temporary
            }
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
