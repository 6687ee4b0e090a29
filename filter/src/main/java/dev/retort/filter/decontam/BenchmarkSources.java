package dev.retort.filter.decontam;

import dev.retort.core.data.Prompt;
import dev.retort.core.datasets.Arith;
import dev.retort.core.datasets.ArithSettings;
import dev.retort.core.datasets.PromptReaders;
import dev.retort.core.datasets.PromptSet;
import dev.retort.filter.FilterSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The benchmarks a {@code filter.decontamination} section names: every file of
 * {@code benchmark-dir} (when present), the listed files and folders (which must exist), read with
 * core's {@link PromptReaders}, and the arith test split generated from the {@code arith} section.
 */
public final class BenchmarkSources {
  public static final String ARITH_TEST = "arith-test";
  private static final Logger LOG = LoggerFactory.getLogger(BenchmarkSources.class);

  private BenchmarkSources() {}

  /** The benchmark files, resolved and sorted: what the job records as inputs in its provenance. */
  public static List<Path> files(FilterSettings.Decontamination d) {
    List<Path> out = new ArrayList<>();
    if (d.benchmarkDir() != null && !d.benchmarkDir().isBlank()) {
      Path dir = resolve(d.benchmarkDir());
      if (Files.isDirectory(dir)) {
        out.addAll(dataFiles(dir));
      } else {
        LOG.warn("filter.decontamination.benchmark-dir {} is absent: no benchmark files from it", dir);
      }
    }
    for (String b : d.benchmarks()) {
      Path p = resolve(b);
      if (Files.isDirectory(p) && !isParquetFolder(p)) {
        out.addAll(dataFiles(p));
      } else if (Files.exists(p)) {
        out.add(p);
      } else {
        throw new IllegalArgumentException("filter.decontamination.benchmarks: file not found: " + p);
      }
    }
    return out.stream().map(Path::normalize).distinct().toList();
  }

  /** Loads every benchmark; malformed benchmark rows are skipped with a warning (they have no problem text). */
  public static List<Benchmark> load(FilterSettings.Decontamination d, ArithSettings arith, long seed) {
    List<Benchmark> out = new ArrayList<>();
    for (Path f : files(d)) {
      PromptSet set = PromptReaders.read(f);
      if (!set.rejects().isEmpty()) {
        LOG.warn("benchmark {}: {} rows unreadable (first: {})", f, set.rejects().size(), set.rejects().get(0).reason());
      }
      out.add(new Benchmark(set.source(), set.prompts().stream().map(Prompt::problem).toList()));
    }
    if (d.arithTest()) {
      out.add(arithTest(arith, seed));
    }
    return out;
  }

  /**
   * The arith test split as generated from the {@code arith} section and the run seed. Matched by
   * whole text: every arith problem shares the template's n-grams (see {@link Benchmark.Match}).
   */
  public static Benchmark arithTest(ArithSettings arith, long seed) {
    List<Prompt> test = Arith.generate(arith.spec(), seed, arith.testSize(), Arith.Split.TEST);
    return new Benchmark(ARITH_TEST, test.stream().map(Prompt::problem).toList(), Benchmark.Match.WHOLE_TEXT);
  }

  /**
   * Relative paths are taken from the working directory, then from the Retort checkout
   * ({@code -Dretort.home}, set by bin/retort), so the default "../shared/..." works from both.
   */
  static Path resolve(String p) {
    Path path = Path.of(p);
    if (path.isAbsolute() || Files.exists(path)) {
      return path;
    }
    String home = System.getProperty("retort.home");
    if (home != null && Files.exists(Path.of(home).resolve(p))) {
      return Path.of(home).resolve(p);
    }
    return path;
  }

  private static boolean isParquetFolder(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.anyMatch(f -> f.getFileName().toString().endsWith(".parquet"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<Path> dataFiles(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(f -> {
        String n = f.getFileName().toString();
        return !n.startsWith(".") && !n.startsWith("_") && (n.endsWith(".jsonl") || n.endsWith(".parquet"));
      }).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list benchmarks in " + dir + ": " + e.getMessage(), e);
    }
  }
}
