package dev.retort.bench;

import dev.retort.core.config.RetortConfig;
import dev.retort.core.run.StageOutput;
import dev.retort.core.store.Location;
import dev.retort.core.store.Store;
import dev.retort.filter.FilterSettings;
import dev.retort.filter.job.FilterJob;
import dev.retort.filter.job.FilterResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Consumer;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * {@code retort bench filter}: the filter job's throughput relative to a plain Parquet read and
 * write of the same traces in the same SparkSession (the copy is the floor any job over these
 * files pays; the ratio says how much the filtering costs on top, independent of the machine).
 * Both arms are warmed up once, then alternate, and each arm's median is taken.
 */
public final class FilterBenchmark {
  private FilterBenchmark() {}

  /**
   * @param prompts distinct prompts
   * @param samples traces per prompt
   * @param reasoningChars approximate reasoning length
   * @param shards input files
   * @param reps measured repetitions per arm (after one warm-up each)
   * @param work folder for input and outputs, on any store (deleted at the end unless keep); both
   *     arms read and write there
   */
  public record Options(int prompts, int samples, int reasoningChars, int shards, int reps, Location work, boolean keep,
      long seed) {
    public Options {
      if (prompts < 1 || samples < 1 || reasoningChars < 1 || shards < 1 || reps < 1) {
        throw new IllegalArgumentException("bench filter: prompts, samples, reasoning chars, shards and reps must be >= 1");
      }
    }
  }

  /** Medians per arm, in seconds, and the job's counts from its last run. */
  public record Result(long traces, double copySeconds, double filterSeconds, long accepted, long rejected, int partitions) {
    public double copyTracesPerSecond() {
      return traces / copySeconds;
    }

    public double filterTracesPerSecond() {
      return traces / filterSeconds;
    }

    /** Filter throughput over copy throughput: 1 means filtering is free. */
    public double copyRatio() {
      return filterTracesPerSecond() / copyTracesPerSecond();
    }

    /** The RESULT line; {@code store} names where both arms read and wrote (file, hdfs, s3a, ...). */
    public String resultLine(String store) {
      return String.format(Locale.ROOT,
          "RESULT filter copy_ratio=%.3f filter_traces_per_s=%.0f copy_traces_per_s=%.0f traces=%d accepted=%d partitions=%d store=%s",
          copyRatio(), filterTracesPerSecond(), copyTracesPerSecond(), traces, accepted, partitions, store);
    }
  }

  public static Result run(SparkSession spark, RetortConfig config, Options o, Consumer<String> log) {
    Location work = o.work();
    Location traces = work.resolve("traces");
    try {
      StageOutput.deleteTree(traces);
      long t0 = System.nanoTime();
      long n = SyntheticTraces.write(traces, o.prompts(), o.samples(), o.shards(), o.reasoningChars(), o.seed());
      log.accept(String.format(Locale.ROOT, "generated %d traces (%d prompts x %d) in %.1f s, %.1f MB on disk", n,
          o.prompts(), o.samples(), (System.nanoTime() - t0) / 1e9, size(traces) / 1e6));
      FilterSettings s = FilterSettings.from(config);
      double[] copy = new double[o.reps()];
      double[] filter = new double[o.reps()];
      FilterResult last = null;
      for (int rep = -1; rep < o.reps(); rep++) {
        String tag = rep < 0 ? "warm-up" : "rep " + (rep + 1);
        double c = copy(spark, traces, work.resolve("copy"));
        Location out = work.resolve("filtered");
        StageOutput.deleteTree(out);
        long f0 = System.nanoTime();
        // Synthetic traces: no generate run made them, so they have no generate _SUCCESS to check.
        last = FilterJob.run(spark, config.with(java.util.Map.of("inputs.allow-incomplete", true)), traces, out);
        double f = (System.nanoTime() - f0) / 1e9;
        if (last.traces() != n) {
          throw new IllegalStateException("filter read " + last.traces() + " traces, expected " + n);
        }
        log.accept(String.format(Locale.ROOT, "%s: copy %.2f s, filter %.2f s (%d accepted)", tag, c, f, last.accepted()));
        if (rep >= 0) {
          copy[rep] = c;
          filter[rep] = f;
        }
      }
      return new Result(n, median(copy), median(filter), last.accepted(), last.rejected(),
          s.partitionsFor(spark.sparkContext().defaultParallelism()));
    } finally {
      if (!o.keep()) {
        StageOutput.deleteTree(work.resolve("copy"));
        StageOutput.deleteTree(work.resolve("filtered"));
        StageOutput.deleteTree(traces);
      }
    }
  }

  /** The baseline arm: read every trace and write it back, as Spark does it best. */
  static double copy(SparkSession spark, Location traces, Location out) {
    long t0 = System.nanoTime();
    spark.read().parquet(traces.toString()).write().mode(SaveMode.Overwrite).parquet(out.toString());
    return (System.nanoTime() - t0) / 1e9;
  }

  private static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private static long size(Location dir) {
    try {
      Store store = Store.of(dir);
      long n = 0;
      for (Location f : store.list(dir)) {
        n += store.isFile(f) ? store.size(f) : 0;
      }
      return n;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
