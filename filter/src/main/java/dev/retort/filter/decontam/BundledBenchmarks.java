package dev.retort.filter.decontam;

import dev.retort.core.config.RetortConfig;
import dev.retort.core.store.Location;
import dev.retort.core.store.Store;
import dev.retort.core.store.Stores;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * The benchmark set shipped inside Retort (MATH-500, GSM8K test, AIME 2024; see the README beside
 * the resources), the default of {@code filter.decontamination.benchmark-dir}: the same problems
 * wherever the command runs, a laptop checkout or a cluster jar under spark-submit.
 *
 * <p>The prompt readers read files, so the set is unpacked once into the local cache, into a
 * folder named by its content hash (a changed set never mixes with an older copy).
 */
public final class BundledBenchmarks {
  /** The {@code benchmark-dir} value that names this set. */
  public static final String NAME = "bundled";
  private static final String DIR = "/dev/retort/filter/decontam/bundled/";

  private BundledBenchmarks() {}

  /** The file names of the set, as in its index. */
  public static List<String> names() {
    String index = new String(resource("index.txt"), StandardCharsets.UTF_8);
    return index.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
  }

  /** What {@link #files} unpacked in this JVM (the resources do not change while it runs). */
  private static List<Location> unpacked;

  /** The set unpacked into the local cache, one {@code .jsonl} per benchmark, in index order. */
  public static synchronized List<Location> files() {
    if (unpacked != null && unpacked.stream().allMatch(l -> Files.isRegularFile(l.localPath()))) {
      return unpacked;
    }
    List<String> names = names();
    List<byte[]> contents = new ArrayList<>();
    StringBuilder id = new StringBuilder();
    for (String n : names) {
      byte[] b = gunzip(resource(n + ".gz"));
      contents.add(b);
      id.append(n).append('\u0000').append(RetortConfig.sha256(new String(b, StandardCharsets.ISO_8859_1)));
    }
    Path dir = Stores.cacheDir().resolve("bundled-benchmarks-" + RetortConfig.sha256(id.toString()).substring(0, 12));
    List<Location> out = new ArrayList<>();
    try {
      Files.createDirectories(dir);
      for (int i = 0; i < names.size(); i++) {
        Path f = dir.resolve(names.get(i));
        Location loc = Location.local(f);
        if (!Files.isRegularFile(f) || Files.size(f) != contents.get(i).length) {
          byte[] bytes = contents.get(i);
          Store store = Store.of(loc);
          store.commit(loc, target -> {
            try (var w = store.create(target)) {
              w.write(bytes);
            }
          });
        }
        out.add(loc);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot unpack the bundled benchmarks into " + dir + ": " + e.getMessage(), e);
    }
    unpacked = List.copyOf(out);
    return unpacked;
  }

  private static byte[] resource(String name) {
    try (InputStream in = BundledBenchmarks.class.getResourceAsStream(DIR + name)) {
      if (in == null) {
        throw new IllegalStateException("bundled benchmark resource missing: " + DIR + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] gunzip(byte[] gz) {
    try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(gz))) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(gz.length * 4);
      in.transferTo(out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException("bundled benchmark unreadable: " + e.getMessage(), e);
    }
  }
}
