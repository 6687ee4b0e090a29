package dev.retort.bench;

import dev.retort.core.config.RetortConfig;
import dev.retort.core.run.StageOutput;
import dev.retort.core.store.Location;
import dev.retort.filter.FilterSettings;
import dev.retort.filter.job.FilterJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code retort bench filter}: generates synthetic traces (correct, wrong, truncated, mixed-language,
 * looping, duplicated), then measures the filter job against a plain Parquet read-and-write of the
 * same traces in the same SparkSession. Last line:
 * {@code RESULT filter copy_ratio=... filter_traces_per_s=... copy_traces_per_s=...}.
 */
@Command(name = "filter", mixinStandardHelpOptions = true,
    description = "Benchmark: filter job throughput / plain Parquet copy throughput (same SparkSession).")
public final class FilterBench implements Callable<Integer> {
  @Option(names = "--prompts", defaultValue = "25000", description = "Distinct prompts (default ${DEFAULT-VALUE}).")
  int prompts;

  @Option(names = "--samples", defaultValue = "4", description = "Traces per prompt (default ${DEFAULT-VALUE}).")
  int samples;

  @Option(names = "--reasoning-chars", defaultValue = "1200", description = "Approximate reasoning length (default ${DEFAULT-VALUE}).")
  int reasoningChars;

  @Option(names = "--shards", defaultValue = "8", description = "Input Parquet files (default ${DEFAULT-VALUE}).")
  int shards;

  @Option(names = "--reps", defaultValue = "5", description = "Measured runs per arm after one warm-up (default ${DEFAULT-VALUE}).")
  int reps;

  @Option(names = "--work", paramLabel = "DIR|URI", description = "Scratch folder for both arms, a path or a URI on any store"
      + " (default: a temporary folder).")
  String work;

  @Option(names = "--hdfs", description = "Start a throwaway HDFS on 127.0.0.1 (hadoop-client-minicluster, resolved with Maven once)"
      + " and run both arms with the scratch folder there.")
  boolean hdfs;

  @Option(names = "--hdfs-classpath", paramLabel = "CP", description = "Classpath of hadoop-client-minicluster for --hdfs; default resolved with Maven.")
  String hdfsClasspath;

  @Option(names = "--keep", description = "Keep the generated traces and outputs.")
  boolean keep;

  @Option(names = "--config", paramLabel = "FILE", description = "HOCON config for the filter section (defaults when absent).")
  Path config;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config value (repeatable), e.g. filter.partitions=8.")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--seed", defaultValue = "1")
  long seed;

  @Override
  public Integer call() throws Exception {
    if (hdfs && work != null) {
      throw new IllegalArgumentException("bench filter: --hdfs and --work exclude each other");
    }
    RetortConfig cfg = RetortConfig.load(config, overrides);
    Path local = Files.createTempDirectory("retort-bench-filter");
    LocalProcesses procs = null;
    try {
      Location dir;
      if (hdfs) {
        procs = new LocalProcesses(local);
        Path root = Path.of(System.getProperty("retort.home", ".")).toAbsolutePath().normalize();
        dir = Location.of(procs.startHdfs(root, hdfsClasspath) + "/bench");
        System.out.println("HDFS up; scratch folder " + dir + " (logs in " + local.resolve("logs") + ")");
      } else {
        dir = work != null ? Location.of(work) : Location.local(local);
      }
      var spark = FilterJob.session(FilterSettings.from(cfg));
      System.out.println("spark master " + spark.sparkContext().master() + ", " + Runtime.getRuntime().availableProcessors() + " cores");
      FilterBenchmark.Result r = FilterBenchmark.run(spark, cfg,
          new FilterBenchmark.Options(prompts, samples, reasoningChars, shards, reps, dir, keep, seed), System.out::println);
      System.out.println(r.resultLine(dir.scheme()));
      return 0;
    } finally {
      if (procs != null) {
        procs.stopAll();
      }
      if (!keep) {
        StageOutput.deleteTree(local);
      }
    }
  }
}
