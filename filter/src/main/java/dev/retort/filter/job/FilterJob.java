package dev.retort.filter.job;

import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.retort.core.config.RetortConfig;
import dev.retort.core.config.RunSettings;
import dev.retort.core.data.Verdict;
import dev.retort.core.datasets.ArithSettings;
import dev.retort.core.io.Codecs;
import dev.retort.core.io.Json;
import dev.retort.core.io.ParquetIO;
import dev.retort.core.run.InputChecks;
import dev.retort.core.run.Provenance;
import dev.retort.core.run.RunLayout;
import dev.retort.core.run.SparkPolicy;
import dev.retort.core.run.StageOutput;
import dev.retort.core.store.Stores;
import dev.retort.filter.FilterSettings;
import dev.retort.filter.PromptScreen;
import dev.retort.filter.Reasons;
import dev.retort.filter.TraceDecoder;
import dev.retort.filter.decontam.DecontamBenchmark;
import dev.retort.filter.decontam.BenchmarkSources;
import dev.retort.filter.decontam.Decontaminator;
import java.io.IOException;
import java.io.UncheckedIOException;
import dev.retort.core.store.Location;
import dev.retort.core.store.Manifest;
import dev.retort.core.store.Store;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.apache.avro.generic.GenericRecord;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code retort filter}: traces/ in; filtered/{accepted,rejected,sft,prompt_stats}, stats.json,
 * provenance.json and _SUCCESS out. A thin Spark adapter around the plain-Java
 * {@link dev.retort.filter.TraceJudge}/{@link PromptScreen}.
 *
 * <p>Design choices:
 * <ul>
 *   <li>One pass over the traces: each task streams prompt groups through the judge and returns a
 *       digest of its prompts; the prompt-level decisions that need every prompt at once (dedup
 *       across prompts, decontamination) are made on the driver after the pass, and only the
 *       partitions holding a rejected prompt are judged again (usually none). When the input
 *       partitions already hold whole prompts with their rows together (teacher-gen writes a
 *       prompt's samples into one shard, sorted), the tasks read the input as it is; otherwise one
 *       shuffle by prompt id, sorted, brings each prompt together. A task that finds its rows not
 *       grouped stops, and the tasks' reports confirm no prompt reached two of them.
 *   <li>Tasks write their shards with core's Parquet format (Avro schema of the contract), so
 *       ParquetIO and Spark read the outputs alike, and return only counts: the stats cost no
 *       extra pass. Tasks get the output as the driver's absolute URI, on any store every executor reaches.
 *   <li>Strict input ({@link InputChecks}, section {@code inputs}): the traces folder must be a
 *       complete generate output; every file's footer is checked before any work, and a file
 *       without a required column, with a column of a conflicting type, or not readable fails the
 *       stage, as do malformed rows and an empty input. Each has a tolerance; tolerated bad files
 *       are salvaged row by row on the driver (an unreadable one becomes one rejected row) into
 *       rejected/ with the reason, and stats.json counts bad_files and bad_rows.
 *   <li>Idempotent: _SUCCESS holds the config hash and provenance.json the input identities; a rerun
 *       with both unchanged does nothing. Otherwise, where rename is atomic (local, HDFS),
 *       everything is written into a hidden sibling folder, completed, then renamed over the old
 *       output, so readers never see a partial one; on an object store the output is rebuilt in
 *       place without _SUCCESS, and the _SUCCESS files, written last, list the committed files.
 * </ul>
 */
public final class FilterJob {
  public static final String STAGE = "filter";
  public static final String ACCEPTED = "accepted";
  public static final String REJECTED = "rejected";
  public static final String SFT = "sft";
  public static final String PROMPT_STATS = "prompt_stats";
  private static final Logger LOG = LoggerFactory.getLogger(FilterJob.class);

  private FilterJob() {}

  /** Filters {@code <work-dir>/<run-id>/traces} into {@code .../filtered}, with the config's Spark master. */
  public static FilterResult run(RetortConfig config) {
    RunLayout layout = RunSettings.from(config).layout();
    return run(config, layout.traces(), layout.filtered());
  }

  public static FilterResult run(RetortConfig config, Path input, Path output) {
    return run(config, Location.local(input), Location.local(output));
  }

  public static FilterResult run(RetortConfig config, Location input, Location output) {
    FilterSettings s = FilterSettings.from(config);
    return run(session(s), config, input, output);
  }

  /**
   * The session the job uses when none is given: an existing one if any; else one on
   * {@code filter.spark-master} with {@code filter.partitions} shuffle partitions, under
   * {@link SparkPolicy} (what spark-submit passes wins).
   */
  public static SparkSession session(FilterSettings s) {
    Map<String, String> defaults = s.partitions() > 0
        ? Map.of("spark.sql.shuffle.partitions", Integer.toString(s.partitions())) : Map.of();
    SparkSession spark = SparkSession.builder().config(SparkPolicy.sessionConf("retort-filter", s.sparkMaster(), defaults))
        .getOrCreate();
    Stores.shareWith(spark.sparkContext().hadoopConfiguration());
    return spark;
  }

  /**
   * Runs the job in {@code spark}.
   *
   * @param input a traces folder (Parquet files, recursively; errors/ and rejects/ skipped)
   * @param output the filtered folder to (re)write
   * @throws IllegalArgumentException if the input folder does not exist or the config is invalid
   */
  public static FilterResult run(SparkSession spark, RetortConfig config, Path input, Path output) {
    return run(spark, config, Location.local(input), Location.local(output), Grouping.AUTO);
  }

  /** {@link #run(SparkSession, RetortConfig, Path, Path)} on any store. */
  public static FilterResult run(SparkSession spark, RetortConfig config, Location input, Location output) {
    return run(spark, config, input, output, Grouping.AUTO);
  }

  /**
   * How the judge pass brings each prompt's traces into one task: {@link #AUTO} reads the input
   * partitions as they are when they hold whole prompts (else shuffles), {@link #SHUFFLE} always
   * shuffles. Both give the same verdicts; tests compare them.
   */
  enum Grouping { AUTO, SHUFFLE }

  static FilterResult run(SparkSession spark, RetortConfig config, Path input, Path output, Grouping grouping) {
    return run(spark, config, Location.local(input), Location.local(output), grouping);
  }

  static FilterResult run(SparkSession spark, RetortConfig config, Location input, Location output, Grouping grouping) {
    long t0 = System.nanoTime();
    FilterSettings s = FilterSettings.from(config);
    ArithSettings arith = ArithSettings.from(config);
    long seed = RunSettings.from(config).seed();
    InputChecks checks = InputChecks.from(config);
    if (!isDirectory(input)) {
      throw new IllegalArgumentException("filter: traces folder not found: " + input);
    }
    // Only a complete teacher-gen output is read as one (DESIGN.md), unless the user says otherwise.
    boolean complete = checks.checkComplete(input, GENERATE_STAGE, "retort generate --output " + input);
    if (!complete) {
      LOG.info("filter: reading {} although it is not a complete generate output ({}): inputs.allow-incomplete = true",
          input, InputChecks.incompleteness(input, GENERATE_STAGE));
    }
    String hash = configHash(config, seed);
    List<Location> benchFiles = BenchmarkSources.files(s.decontamination());
    // The identities hash every input byte: needed first only to tell whether a completed output
    // is current; otherwise they are computed on a driver thread while the job runs.
    CompletableFuture<Map<String, String>> identities = CompletableFuture.supplyAsync(() -> identities(input, benchFiles), DRIVER_POOL);
    if (isDone(output, hash, () -> join(identities))) {
      LOG.info("filter: {} is complete for config {} and the same input; nothing to do", output, hash.substring(0, 12));
      return skipped(output, hash, t0);
    }
    LOG.info("filter: {} -> {}", input, output);
    LOG.debug("filter: config\n{}", config.render(FilterSettings.SECTION));
    // Footers only, before anything is written: a file that cannot be judged fails the stage here.
    InputScan scan = InputScan.of(input);
    checkFiles(input, scan, checks);

    Location abs = output;
    // Where rename is atomic the output is built in a hidden sibling and renamed into place. On an
    // object store a folder rename is a copy of every object, so the output is rebuilt in place:
    // its _SUCCESS files go first and come back last, listing the committed files.
    boolean inPlace = !Store.of(abs).atomicRename();
    removeLeftovers(abs);
    Location tmp = inPlace ? abs : abs.sibling("." + abs.name() + ".tmp-" + UUID.randomUUID());
    if (inPlace) {
      StageOutput.invalidate(abs);
      StageOutput.deleteTree(abs);
    }
    boolean decontaminate = s.decontamination().arithTest() || !benchFiles.isEmpty();
    // The benchmark index is built on a driver thread from the start: alongside Spark's planning
    // (one core) it mostly costs no time; the tasks only fingerprint each prompt, and the screen
    // after the judge pass looks the fingerprints up.
    CompletableFuture<Decontaminator> decon = decontaminate
        ? CompletableFuture.supplyAsync(() -> decontaminator(s, arith, seed), DRIVER_POOL)
        : CompletableFuture.completedFuture(null);
    try {
      Judged judged = withInputSplits(spark, 2 * spark.sparkContext().defaultParallelism(), scan.largestReadable(),
          () -> filterInto(spark, s, decontaminate ? s.decontamination().ngram() : 0, decon, scan, tmp, grouping));
      FilterStats stats = judged.stats();
      checkRows(input, stats, judged.badRows(), checks);
      Map<String, Object> statsJson = stats.toJson();
      statsJson.put("grouping", judged.grouping());
      statsJson.put("bad_files", scan.badFiles());
      statsJson.put("bad_rows", judged.badRows());
      statsJson.put("input_complete", complete);
      // The inputs section is in provenance (not in the hash): a tolerance used is on record.
      Provenance prov = Provenance.of(STAGE, hash, config.resolved(FilterSettings.SECTION, ArithSettings.SECTION,
          InputChecks.SECTION), seed, join(identities), Map.of());
      for (String sub : List.of(ACCEPTED, REJECTED, SFT)) {
        // Only the marker in data folders: Spark reads every file there not named _* or .*,
        // so provenance.json and stats.json live one level up, in filtered/. It lists the
        // folder's files: on an object store, what readers may read.
        new Manifest(hash, listing(tmp.resolve(sub))).write(tmp.resolve(sub));
      }
      StageOutput.complete(tmp, prov, statsJson);
      if (!inPlace) {
        replace(tmp, abs);
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      LOG.info("filter: {} traces, {} accepted, {} rejected ({} malformed), {} prompts in {} s",
          stats.traces(), stats.accepted(), stats.rejected(), stats.malformed(), stats.prompts(), String.format("%.1f", secs));
      return new FilterResult(output, false, stats.traces(), stats.accepted(), stats.rejected(), stats.malformed(),
          stats.prompts(), hash, secs, statsJson);
    } finally {
      decon.cancel(false);
      if (!inPlace) {
        StageOutput.deleteTree(tmp);
      }
    }
  }

  private static final String MIN_PARTITION_NUM = "spark.sql.files.minPartitionNum";
  private static final String MAX_PARTITION_BYTES = "spark.sql.files.maxPartitionBytes";
  private static final String OPEN_COST_BYTES = "spark.sql.files.openCostInBytes";

  /**
   * Runs {@code body} with Spark reading the input in at least {@code splits} partitions (two per
   * core) and never cutting a file, then restores the session's settings. Only this job's reads:
   * the session is the caller's.
   *
   * <p>At least two partitions per core: by default Spark packs small files into one partition per
   * core, and the judge pass is one task per partition: a task slowed by a GC pause or a larger
   * file then held the whole job while the other core idled; with two per core the tasks even out.
   *
   * <p>No file cut: Spark cuts a file larger than its split size, min(maxPartitionBytes,
   * max(openCostInBytes, bytes per core)), into byte ranges, and a prompt's rows could then reach
   * two partitions. Both settings at least the largest file's size make every file one range; the
   * open cost equal to the split size makes every file a partition of its own (Spark packs files
   * largest first, so files sharing a partition would meet the judge in an order that follows their
   * sizes), which {@link InputOrder} then merges in path order. The partition count alone (a
   * public RDD fact) tells whether the input can be judged as it is.
   */
  private static <T> T withInputSplits(SparkSession spark, int splits, long largestFile, java.util.function.Supplier<T> body) {
    org.apache.spark.sql.RuntimeConfig conf = spark.conf();
    Map<String, String> before = new HashMap<>();
    for (String k : List.of(MIN_PARTITION_NUM, MAX_PARTITION_BYTES, OPEN_COST_BYTES)) {
      before.put(k, conf.contains(k) ? conf.get(k) : null);
    }
    conf.set(MIN_PARTITION_NUM, Integer.toString(splits));
    long maxBytes = Math.max(bytes(conf, MAX_PARTITION_BYTES, 128L << 20), largestFile);
    conf.set(MAX_PARTITION_BYTES, Long.toString(maxBytes));
    conf.set(OPEN_COST_BYTES, Long.toString(maxBytes));
    try {
      return body.get();
    } finally {
      before.forEach((k, v) -> {
        if (v == null) {
          conf.unset(k);
        } else {
          conf.set(k, v);
        }
      });
    }
  }

  /** A byte-size setting of the session ("128m", "4194304"), or {@code dflt} when unset. */
  private static long bytes(org.apache.spark.sql.RuntimeConfig conf, String key, long dflt) {
    return conf.contains(key) ? org.apache.spark.network.util.JavaUtils.byteStringAsBytes(conf.get(key)) : dflt;
  }

  /**
   * The merged counts, how prompts were grouped: "input" (no shuffle), "shuffle" or "none" (no
   * readable input), and the malformed rows of the readable files (quarantined files' rows not counted).
   */
  private record Judged(FilterStats stats, String grouping, long badRows) {}

  /** The stage that writes the traces folder, whose {@code _SUCCESS} the filter requires. */
  static final String GENERATE_STAGE = "generate";

  /**
   * Fails on files that cannot be judged (missing required column, wrong type, unreadable) beyond
   * inputs.max-bad-files, naming the first ones, and on an input without files unless allowed.
   */
  static void checkFiles(Location input, InputScan scan, InputChecks checks) {
    if (scan.badFiles() > checks.maxBadFiles()) {
      List<String> problems = scan.problems();
      String more = problems.size() > 1 ? " (and " + (problems.size() - 1) + " more bad files)" : "";
      throw new IllegalStateException("filter: " + problems.get(0) + more + "; fix or remove "
          + (problems.size() > 1 ? "them" : "it") + ", or quarantine up to N bad files with inputs.max-bad-files = N");
    }
    for (String p : scan.problems()) {
      LOG.warn("filter: quarantined (inputs.max-bad-files = {}): {}", checks.maxBadFiles(), p);
    }
    if (scan.files() == 0 && !checks.allowEmpty()) {
      throw new IllegalStateException("filter: no trace files (*.parquet) in " + input
          + "; generate traces first, or accept an empty input with inputs.allow-empty = true");
    }
  }

  /** Fails on malformed rows of readable files beyond inputs.max-bad-rows, and on no rows at all unless allowed. */
  static void checkRows(Location input, FilterStats stats, long badRows, InputChecks checks) {
    if (badRows > checks.maxBadRows()) {
      throw new IllegalStateException("filter: " + badRows + " malformed rows in " + input + " (null required field or bad value;"
          + " see the reasons with inputs.max-bad-rows = " + badRows + ", which rejects them into rejected/)");
    }
    if (stats.traces() == 0 && !checks.allowEmpty()) {
      throw new IllegalStateException("filter: no traces in " + input
          + " (its files hold no rows); accept an empty input with inputs.allow-empty = true");
    }
  }

  /**
   * Removes what killed runs left beside the output: hidden {@code .NAME.tmp-*} build folders and
   * {@code .NAME.old-*} copies. One run per folder (the run lock) makes them nobody's.
   */
  private static void removeLeftovers(Location out) {
    Store store = Store.of(out);
    try {
      if (out.parent() == null) {
        return;
      }
      for (Location p : store.list(out.parent())) {
        if (p.name().startsWith("." + out.name() + ".tmp-") || p.name().startsWith("." + out.name() + ".old-")) {
          LOG.info("filter: removing {} (left by a run that did not finish)", p);
          StageOutput.deleteTree(p);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + out.parent() + ": " + e.getMessage(), e);
    }
  }

  /**
   * @param ngram the decontamination n, 0 when no benchmark is configured
   * @param decon the benchmark index (null inside when none has a problem)
   */
  private static Judged filterInto(SparkSession spark, FilterSettings s, int ngram, CompletableFuture<Decontaminator> decon,
      InputScan scan, Location out, Grouping grouping) {
    FilterStats stats = new FilterStats();
    String how = "none";
    if (!scan.readable().isEmpty()) {
      String[] paths = scan.readable().stream().map(p -> p.uri().toString()).toArray(String[]::new);
      Dataset<Row> traces = spark.read().schema(TraceSchema.SPARK).parquet(paths);
      how = judgeAll(spark, s, traces, out, ngram, decon, grouping, stats);
    }
    long badRows = stats.malformed();
    salvage(scan, out.resolve(REJECTED + "/part-malformed.parquet"), stats);
    // Every output holds at least one (maybe empty) file, so readers always find the schema.
    ensureFile(out.resolve(ACCEPTED), Codecs.VERDICT);
    ensureFile(out.resolve(REJECTED), Codecs.VERDICT);
    ensureFile(out.resolve(SFT), Codecs.SFT);
    return new Judged(stats, how, badRows);
  }

  /**
   * Judges every prompt, optimistically: the prompt-level decisions (duplicate prompts across the
   * input, benchmark contamination) need every prompt, and deduplicated prompt sets, the common
   * case, have none. So the first pass judges with none while each task digests its prompts; the
   * screen then runs over the digests, and only the partitions that hold a rejected prompt are
   * judged again, with the reasons. Over grouped input this reads the traces once: no scan of the
   * prompts (a second Spark job on the critical path) comes before the judge pass.
   *
   * @return how prompts were grouped: "input" or "shuffle"
   */
  private static String judgeAll(SparkSession spark, FilterSettings s, Dataset<Row> traces, Location out, int ngram,
      CompletableFuture<Decontaminator> decon, Grouping grouping, FilterStats stats) {
    long t0 = System.nanoTime();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    // Reading the input as it is needs whole prompts per partition: no file cut between
    // partitions (withInputSplits makes each file one range), and enough partitions to keep every
    // core busy. Merging partitions (an RDD coalesce, what Dataset.coalesce runs) keeps each one's
    // rows together and in order. Whether the files hold whole prompts is what the tasks check.
    JavaRDD<InternalRow> scan = rows(traces);
    int inputPartitions = scan.getNumPartitions();
    int cores = spark.sparkContext().defaultParallelism();
    int parts = s.partitionsFor(cores);
    boolean byInput = grouping == Grouping.AUTO && inputPartitions >= Math.min(parts, cores);
    JavaRDD<InternalRow> grouped = byInput ? InputOrder.coalesce(scan, parts) : shuffled(traces, parts);
    List<PartitionReport> reports = grouped.mapPartitions(JudgePartition.first(s, out.toString(), ngram)).collect();
    String how = byInput ? "input" : "shuffle";
    if (byInput && !(reports.stream().allMatch(PartitionReport::grouped) && disjoint(reports))) {
      // A task met a prompt again after others, or two tasks judged the same prompt: the input
      // is not grouped by prompt, so its output is wrong; redo it with the shuffle.
      LOG.info("filter: the input partitions split prompts; judging again shuffled by prompt id");
      deleteOutputs(out);
      grouped = shuffled(traces, parts);
      reports = grouped.mapPartitions(JudgePartition.first(s, out.toString(), ngram)).collect();
      how = "shuffle";
      if (!reports.stream().allMatch(PartitionReport::grouped)) {
        throw new IllegalStateException("filter: a shuffled partition met a prompt twice (Spark did not sort it)");
      }
    } else if (!byInput) {
      LOG.info("filter: {}; shuffled by prompt id", grouping == Grouping.SHUFFLE ? "shuffle asked for"
          : "fewer input partitions (" + inputPartitions + ") than cores");
    }
    long t1 = System.nanoTime();
    Map<String, List<String>> promptReasons = PromptDigest.screen(reports.stream().map(PartitionReport::prompts).toList(), s, join(decon));
    long t2 = System.nanoTime();
    int[] again = partitionsHolding(reports, promptReasons.keySet());
    LOG.info("filter: {} prompts, {} rejected by the prompt screen (screen {} ms), {} of {} partitions to judge again",
        reports.stream().mapToInt(r -> r.promptHashes().length).sum(), promptReasons.size(), (t2 - t1) / 1_000_000,
        again.length, reports.size());
    if (again.length > 0) {
      Broadcast<Map<String, List<String>>> b = jsc.broadcast(new HashMap<>(promptReasons));
      try {
        for (int part : again) {
          deleteOutputs(out, part);
        }
        List<PartitionReport> redone = grouped.mapPartitions(JudgePartition.again(s, out.toString(), b, again)).collect();
        Map<Integer, PartitionReport> byPart = new TreeMap<>();
        reports.forEach(r -> byPart.put(r.partition(), r));
        redone.forEach(r -> byPart.put(r.partition(), r));
        reports = new ArrayList<>(byPart.values());
      } finally {
        b.destroy();
      }
    }
    reports.forEach(r -> stats.merge(r.stats()));
    checkTaskFiles(out, reports);
    LOG.info("filter: judge and write {} ms, screen and judging again {} ms, grouped by {} (task time: judging {} ms, writing {} ms, reading {} ms)",
        (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000, how,
        reports.stream().mapToLong(PartitionReport::judgeNanos).sum() / 1_000_000,
        reports.stream().mapToLong(PartitionReport::writeNanos).sum() / 1_000_000,
        reports.stream().mapToLong(r -> r.totalNanos() - r.judgeNanos() - r.writeNanos()).sum() / 1_000_000);
    return how;
  }

  /**
   * Checks every file the tasks reported against the store before the output is marked complete:
   * a partition that reported rows for an output has that file with exactly those rows; one that
   * reported none has none (a task's write that went elsewhere, or a stale file, fails the job).
   */
  private static void checkTaskFiles(Location out, List<PartitionReport> reports) {
    for (PartitionReport r : reports) {
      if (!r.grouped()) {
        continue;
      }
      check(out.resolve(ACCEPTED + "/" + JudgePartition.fileName(r.partition(), "parquet")), r.stats().accepted());
      check(out.resolve(REJECTED + "/" + JudgePartition.fileName(r.partition(), "parquet")), r.stats().rejected());
      check(out.resolve(SFT + "/" + JudgePartition.fileName(r.partition(), "parquet")), r.sftRows());
    }
  }

  private static void check(Location file, long rows) {
    boolean present;
    try {
      present = Store.of(file).isFile(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check " + file + ": " + e.getMessage(), e);
    }
    if (rows == 0 && present) {
      throw new IllegalStateException("filter: " + file + " exists but its task reported no rows for it");
    }
    if (rows > 0 && !present) {
      throw new IllegalStateException("filter: a task reported " + rows + " rows in " + file + ", which the store does not hold");
    }
    if (rows > 0 && ParquetIO.rowCount(file) != rows) {
      throw new IllegalStateException("filter: " + file + " holds " + ParquetIO.rowCount(file) + " rows, its task reported " + rows);
    }
  }

  /** The Parquet files of a finished output folder, for its manifest. */
  private static List<Manifest.Entry> listing(Location dir) {
    Store store = Store.of(dir);
    List<Manifest.Entry> out = new ArrayList<>();
    try {
      for (Location f : store.list(dir)) {
        if (f.name().endsWith(".parquet") && !f.name().startsWith(".") && !f.name().startsWith("_")) {
          out.add(new Manifest.Entry(f.name(), store.size(f), -1));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
    }
    return out;
  }

  /** Spark's internal rows of a plan: the decoder converts each column once, straight to its Java value. */
  private static JavaRDD<InternalRow> rows(Dataset<Row> ds) {
    return ds.queryExecution().toRdd().toJavaRDD();
  }

  /** The traces shuffled by prompt id and sorted, so each prompt's rows come together in one partition. */
  private static JavaRDD<InternalRow> shuffled(Dataset<Row> traces, int partitions) {
    return rows(traces.repartition(partitions, col("prompt_id")).sortWithinPartitions(col("prompt_id"), col("sample_index")));
  }

  /** The partitions whose tasks judged any of {@code prompts}, sorted. */
  private static int[] partitionsHolding(List<PartitionReport> reports, java.util.Set<String> prompts) {
    if (prompts.isEmpty()) {
      return new int[0];
    }
    return reports.stream()
        .filter(r -> java.util.Arrays.stream(r.prompts().ids).anyMatch(prompts::contains))
        .mapToInt(PartitionReport::partition).sorted().toArray();
  }

  private static final List<String> OUTPUTS = List.of(ACCEPTED, REJECTED, SFT, PROMPT_STATS);

  private static void deleteOutputs(Location out) {
    for (String sub : OUTPUTS) {
      StageOutput.deleteTree(out.resolve(sub));
    }
  }

  /** One partition's files, before it is judged again (a task writes only the files it has rows for). */
  private static void deleteOutputs(Location out, int part) {
    try {
      for (String sub : OUTPUTS) {
        Store.of(out).delete(out.resolve(sub + "/" + JudgePartition.fileName(part, sub.equals(PROMPT_STATS) ? "jsonl" : "parquet")));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete partition " + part + " of " + out + ": " + e.getMessage(), e);
    }
  }

  /** Whether every prompt was judged as one group: no prompt hash in two groups, in one task or across tasks. */
  static boolean disjoint(List<PartitionReport> reports) {
    long[] all = reports.stream().flatMapToLong(r -> java.util.Arrays.stream(r.promptHashes())).sorted().toArray();
    for (int i = 1; i < all.length; i++) {
      if (all[i] == all[i - 1]) {
        return false;
      }
    }
    return true;
  }

  /** A daemon thread for driver work done alongside a Spark job (the benchmark index). */
  private static final java.util.concurrent.Executor DRIVER_POOL = r -> {
    Thread t = new Thread(r, "retort-filter-driver");
    t.setDaemon(true);
    t.start();
  };

  /** The benchmark n-gram index, or null when no benchmark has a problem. */
  private static Decontaminator decontaminator(FilterSettings s, ArithSettings arith, long seed) {
    long t0 = System.nanoTime();
    List<DecontamBenchmark> benchmarks = BenchmarkSources.load(s.decontamination(), arith, seed);
    if (benchmarks.isEmpty()) {
      return null;
    }
    Decontaminator decon = new Decontaminator(benchmarks, s.decontamination().ngram());
    LOG.info("filter: decontaminating against {} ({} {}-grams, loaded and indexed in {} ms)", decon.benchmarks(),
        decon.indexedNgrams(), decon.ngram(), (System.nanoTime() - t0) / 1_000_000);
    return decon;
  }

  private static <T> T join(CompletableFuture<T> f) {
    try {
      return f.join();
    } catch (java.util.concurrent.CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r; // a missing benchmark file: the config error as it is
      }
      throw e;
    }
  }

  /**
   * Rows of files Spark cannot read with the contract's schema: each row is decoded leniently
   * (its wrong-typed columns become reasons); a file that is not Parquet becomes one row.
   */
  private static void salvage(InputScan scan, Location file, FilterStats stats) {
    if (scan.badFiles() == 0) {
      return;
    }
    List<Verdict> rows = new ArrayList<>();
    for (var e : scan.missing().entrySet()) {
      try {
        ParquetIO.forEachRecord(e.getKey(), (GenericRecord rec) -> {
          TraceDecoder.Decoded d = TraceDecoder.decode(c -> rec.getSchema().getField(c) == null ? null : rec.get(c));
          List<String> reasons = d.ok() ? e.getValue().stream().map(Reasons::missingColumn).toList() : d.malformed();
          rows.add(new Verdict(d.trace(), false, null, reasons));
        });
      } catch (RuntimeException ex) {
        rows.add(unreadable(e.getKey(), ex));
      }
    }
    for (var e : scan.conflicting().entrySet()) {
      try {
        ParquetIO.forEachRecord(e.getKey(), (GenericRecord rec) -> {
          TraceDecoder.Decoded d = TraceDecoder.decode(c -> rec.getSchema().getField(c) == null ? null : rec.get(c));
          List<String> reasons = d.ok() ? e.getValue().stream().map(Reasons::badType).toList() : d.malformed();
          rows.add(new Verdict(d.trace(), false, null, reasons));
        });
      } catch (RuntimeException ex) {
        rows.add(unreadable(e.getKey(), ex));
      }
    }
    for (Location f : scan.unreadable()) {
      rows.add(unreadable(f, null));
    }
    for (Verdict v : rows) {
      stats.add(v, true);
    }
    ParquetIO.write(file, Codecs.VERDICT, rows);
  }

  private static Verdict unreadable(Location f, Exception e) {
    TraceDecoder.Decoded d = TraceDecoder.decode(c -> null);
    var t = d.trace();
    String why = "unreadable file " + f.name() + (e == null ? "" : ": " + e.getMessage());
    var trace = new dev.retort.core.data.Trace(t.promptId(), t.sampleIndex(), null, null, null, null, t.answerType(),
        t.sampling(), null, null, null, 0, 0, 0, why);
    return new Verdict(trace, false, null, List.of(Reasons.UNREADABLE_FILE));
  }

  private static <T> void ensureFile(Location dir, dev.retort.core.io.RowCodec<T> codec) {
    if (ParquetIO.files(dir).isEmpty()) {
      ParquetIO.write(dir.resolve("part-empty.parquet"), codec, List.of());
    }
  }

  /** Content identities of the traces folder and of each benchmark file, as provenance records them. */
  private static Map<String, String> identities(Location input, List<Location> benchFiles) {
    Map<String, String> inputs = new TreeMap<>();
    inputs.put("traces", Provenance.identityOf(input));
    for (Location f : benchFiles) {
      inputs.put("benchmark:" + f.name(), Provenance.identityOf(f));
    }
    return inputs;
  }

  /** Where and how wide Spark runs: not part of the output's identity (the rows do not depend on them). */
  static final List<String> EXECUTION_KEYS = SparkPolicy.EXECUTION_KEYS;

  /** The config identity: the filter and arith sections (arith shapes the arith-test benchmark) less the execution keys, and the seed. */
  public static String configHash(RetortConfig config, long seed) {
    return RetortConfig.sha256(config.hashWithout(EXECUTION_KEYS, FilterSettings.SECTION, ArithSettings.SECTION) + "|seed=" + seed);
  }

  /** @param inputs the current input identities, asked for only when a completed output has this config hash */
  static boolean isDone(Location output, String hash, java.util.function.Supplier<Map<String, String>> inputs) {
    if (!StageOutput.isComplete(output, hash)) {
      return false;
    }
    try {
      return inputs.get().equals(new TreeMap<>(Provenance.read(output).inputs()));
    } catch (UncheckedIOException e) {
      return false;
    }
  }

  private static FilterResult skipped(Location output, String hash, long t0) {
    JsonNode stats = Json.read(output.resolve(StageOutput.STATS));
    long traces = stats.path("traces").asLong();
    long accepted = stats.path("accepted").asLong();
    // A plain mapper: Json.MAPPER registers every module on the classpath, and with Spark there
    // that includes Scala's, which turns nested objects into Scala maps.
    Map<String, Object> map = new ObjectMapper().convertValue(stats, new TypeReference<Map<String, Object>>() {});
    return new FilterResult(output, true, traces, accepted, traces - accepted, stats.path("malformed").asLong(),
        stats.path("pass_rate").path("prompts").asLong(), hash, (System.nanoTime() - t0) / 1e9, map);
  }

  /** Puts the completed {@code tmp} folder in place of {@code out}: two renames, then the old copy goes. */
  private static void replace(Location tmp, Location out) {
    Store store = Store.of(out);
    try {
      store.mkdirs(out.parent());
      Location old = null;
      if (store.exists(out)) {
        StageOutput.invalidate(out);
        old = out.sibling("." + out.name() + ".old-" + UUID.randomUUID());
        store.rename(out, old);
      }
      store.sync(tmp);
      store.rename(tmp, out);
      store.sync(out.parent());
      if (old != null) {
        StageOutput.deleteTree(old);
      }
      cleanStale(store, out);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot move filter output into " + out + ": " + e.getMessage(), e);
    }
  }

  /** Leftovers of runs that crashed before their rename (hidden siblings of the output). */
  private static void cleanStale(Store store, Location out) throws IOException {
    String prefix = "." + out.name() + ".old-";
    for (Location p : store.list(out.parent())) {
      if (p.name().startsWith(prefix)) {
        StageOutput.deleteTree(p);
      }
    }
  }

  private static boolean isDirectory(Location l) {
    try {
      return Store.of(l).isDirectory(l);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check " + l + ": " + e.getMessage(), e);
    }
  }
}
