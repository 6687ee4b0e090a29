package dev.retort.filter.decontam;

import dev.retort.core.data.Prompt;
import dev.retort.core.datasets.Arith;
import dev.retort.core.datasets.ArithSettings;
import dev.retort.core.datasets.PromptReaders;
import dev.retort.core.datasets.PromptSet;
import dev.retort.core.store.Location;
import dev.retort.core.store.Store;
import dev.retort.core.store.Stores;
import dev.retort.filter.FilterSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The benchmarks a {@code filter.decontamination} section names: the set shipped with Retort
 * ({@code benchmark-dir = "bundled"}, the default, see {@link BundledBenchmarks}) or every file of
 * the {@code benchmark-dir} folder (which must exist; {@code ""} for none), the listed files and
 * folders (which must exist), read with core's {@link PromptReaders}, and the arith test split
 * generated from the {@code arith} section.
 */
public final class BenchmarkSources {
  public static final String ARITH_TEST = "arith-test";
  private static final Logger LOG = LoggerFactory.getLogger(BenchmarkSources.class);

  private BenchmarkSources() {}

  /** The benchmark files, resolved and sorted: what the job records as inputs in its provenance. */
  public static List<Location> files(FilterSettings.Decontamination d) {
    List<Location> out = new ArrayList<>();
    String dirSetting = d.benchmarkDir() == null ? "" : d.benchmarkDir().strip();
    if (dirSetting.equals(BundledBenchmarks.NAME)) {
      out.addAll(BundledBenchmarks.files());
    } else if (!dirSetting.isEmpty()) {
      Location dir = resolve(dirSetting);
      if (dir == null) {
        throw new IllegalArgumentException("filter.decontamination.benchmark-dir: " + dirSetting
            + " is relative and there is no retort.home to resolve it against; give an absolute path or a URI");
      }
      if (!isDirectory(dir)) {
        throw new IllegalArgumentException("filter.decontamination.benchmark-dir: folder not found: " + dir
            + " (\"" + BundledBenchmarks.NAME + "\" is the set shipped with Retort, \"\" none)");
      }
      out.addAll(dataFiles(dir));
    }
    for (String b : d.benchmarks()) {
      Location p = resolve(b);
      if (p == null) {
        throw new IllegalArgumentException("filter.decontamination.benchmarks: " + b
            + " is relative and there is no retort.home to resolve it against; give an absolute path or a URI");
      }
      if (isDirectory(p) && !isParquetFolder(p)) {
        out.addAll(dataFiles(p));
      } else if (exists(p)) {
        out.add(p);
      } else {
        throw new IllegalArgumentException("filter.decontamination.benchmarks: file not found: " + p);
      }
    }
    return out.stream().distinct().toList();
  }

  /** Loads every benchmark; malformed benchmark rows are skipped with a warning (they have no problem text). */
  public static List<DecontamBenchmark> load(FilterSettings.Decontamination d, ArithSettings arith, long seed) {
    List<DecontamBenchmark> out = new ArrayList<>();
    for (Location f : files(d)) {
      // Prompt readers parse local files: a benchmark on another store is read from the local cache.
      PromptSet set = PromptReaders.read(Stores.localCopy(f));
      if (!set.rejects().isEmpty()) {
        LOG.warn("benchmark {}: {} rows unreadable (first: {})", f, set.rejects().size(), set.rejects().get(0).reason());
      }
      out.add(new DecontamBenchmark(PromptReaders.sourceName(Path.of(f.name())), set.prompts().stream().map(Prompt::problem).toList()));
    }
    if (d.arithTest()) {
      out.add(arithTest(arith, seed));
    }
    return out;
  }

  /**
   * The arith test split as generated from the {@code arith} section and the run seed. Matched by
   * whole text: every arith problem shares the template's n-grams (see {@link DecontamBenchmark.Match}).
   */
  public static DecontamBenchmark arithTest(ArithSettings arith, long seed) {
    List<Prompt> test = Arith.generate(arith.spec(), seed, arith.testSize(), Arith.Split.TEST);
    return new DecontamBenchmark(ARITH_TEST, test.stream().map(Prompt::problem).toList(), DecontamBenchmark.Match.WHOLE_TEXT);
  }

  /**
   * A configured benchmark location: an absolute path or a URI (any store) as it is; a relative
   * path from the Retort checkout ({@code -Dretort.home}, set by bin/retort), never from the
   * launch folder, so the default "../shared/..." means the same wherever Retort is started.
   * Null when relative and there is no checkout (a cluster jar under spark-submit).
   */
  static Location resolve(String p) {
    String t = p.trim();
    boolean uri = t.matches("[A-Za-z][A-Za-z0-9+.-]+:.*");
    if (uri || Path.of(t).isAbsolute()) {
      return Location.of(t);
    }
    String home = System.getProperty("retort.home");
    return home == null || home.isBlank() ? null : Location.local(Path.of(home).resolve(t));
  }

  private static boolean isParquetFolder(Location dir) {
    return dataFilesOf(dir).stream().anyMatch(f -> f.name().endsWith(".parquet"));
  }

  private static List<Location> dataFiles(Location dir) {
    return dataFilesOf(dir).stream().filter(f -> f.name().endsWith(".jsonl") || f.name().endsWith(".parquet")).toList();
  }

  private static List<Location> dataFilesOf(Location dir) {
    try {
      Store s = Store.of(dir);
      List<Location> out = new ArrayList<>();
      for (Location f : s.list(dir)) {
        String n = f.name();
        if (!n.startsWith(".") && !n.startsWith("_") && s.isFile(f)) {
          out.add(f);
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list benchmarks in " + dir + ": " + e.getMessage(), e);
    }
  }

  private static boolean isDirectory(Location l) {
    try {
      return Store.of(l).isDirectory(l);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check " + l + ": " + e.getMessage(), e);
    }
  }

  private static boolean exists(Location l) {
    try {
      return Store.of(l).exists(l);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check " + l + ": " + e.getMessage(), e);
    }
  }
}
