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
import dev.retort.core.run.Provenance;
import dev.retort.core.run.RunLayout;
import dev.retort.core.run.StageOutput;
import dev.retort.filter.FilterSettings;
import dev.retort.filter.PromptScreen;
import dev.retort.filter.Reasons;
import dev.retort.filter.TraceDecoder;
import dev.retort.filter.decontam.Benchmark;
import dev.retort.filter.decontam.BenchmarkSources;
import dev.retort.filter.decontam.Decontaminator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.avro.generic.GenericRecord;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple3;

/**
 * {@code retort filter}: traces/ in; filtered/{accepted,rejected,sft,prompt_stats}, stats.json,
 * provenance.json and _SUCCESS out. A thin Spark adapter around the plain-Java
 * {@link dev.retort.filter.TraceJudge}/{@link PromptScreen}.
 *
 * <p>Design choices:
 * <ul>
 *   <li>One pass over the traces: a small projection (prompt id, problem, reference) first, for the
 *       prompt-level decisions that need every prompt at once (dedup across prompts,
 *       decontamination, made on the driver and broadcast); then one shuffle by prompt id, sorted,
 *       so each task streams prompt groups through the judge.
 *   <li>Tasks write their shards with core's Parquet format (Avro schema of the contract), so
 *       ParquetIO and Spark read the outputs alike, and return only counts: the stats cost no
 *       extra pass. Outputs must therefore be on a filesystem every executor sees (local or mounted).
 *   <li>Malformed rows never fail the job: the schema is fixed (missing columns read as null), files
 *       with conflicting column types are found from their footers and salvaged row by row on the
 *       driver, unreadable files become one rejected row each.
 *   <li>Idempotent: _SUCCESS holds the config hash and provenance.json the input identities; a rerun
 *       with both unchanged does nothing. Otherwise everything is written into a hidden sibling
 *       folder, completed, then renamed over the old output, so readers never see a partial one.
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
    FilterSettings s = FilterSettings.from(config);
    return run(session(s), config, input, output);
  }

  /** The session the job uses when none is given: existing one if any, else local per the config. */
  public static SparkSession session(FilterSettings s) {
    return SparkSession.builder()
        .master(s.sparkMaster())
        .appName("retort-filter")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", Integer.toString(s.partitions()))
        // The trace schema's plan string is longer than Spark's default limit; the warning is noise.
        .config("spark.sql.debug.maxToStringFields", "100")
        .getOrCreate();
  }

  /**
   * Runs the job in {@code spark}.
   *
   * @param input a traces folder (Parquet files, recursively; errors/ and rejects/ skipped)
   * @param output the filtered folder to (re)write
   * @throws IllegalArgumentException if the input folder does not exist or the config is invalid
   */
  public static FilterResult run(SparkSession spark, RetortConfig config, Path input, Path output) {
    long t0 = System.nanoTime();
    FilterSettings s = FilterSettings.from(config);
    ArithSettings arith = ArithSettings.from(config);
    long seed = RunSettings.from(config).seed();
    if (!Files.isDirectory(input)) {
      throw new IllegalArgumentException("filter: traces folder not found: " + input);
    }
    String hash = configHash(config, seed);
    List<Path> benchFiles = BenchmarkSources.files(s.decontamination());
    Map<String, String> inputs = new TreeMap<>();
    inputs.put("traces", Provenance.identityOf(input));
    for (Path f : benchFiles) {
      inputs.put("benchmark:" + f.getFileName(), Provenance.identityOf(f));
    }
    if (isDone(output, hash, inputs)) {
      LOG.info("filter: {} is complete for config {} and the same input; nothing to do", output, hash.substring(0, 12));
      return skipped(output, hash, t0);
    }
    LOG.info("filter: {} -> {} with config\n{}", input, output, config.render(FilterSettings.SECTION));

    Path abs = output.toAbsolutePath().normalize();
    Path tmp = abs.resolveSibling("." + abs.getFileName() + ".tmp-" + UUID.randomUUID());
    try {
      FilterStats stats = filterInto(spark, s, arith, seed, input, tmp);
      Map<String, Object> statsJson = stats.toJson();
      Provenance prov = Provenance.of(STAGE, hash, config.resolved(FilterSettings.SECTION, ArithSettings.SECTION), seed, inputs, Map.of());
      for (String sub : List.of(ACCEPTED, REJECTED, SFT)) {
        // Only the marker in data folders: Spark reads every file there not named _* or .*,
        // so provenance.json and stats.json live one level up, in filtered/.
        Files.writeString(tmp.resolve(sub).resolve(StageOutput.SUCCESS), hash + "\n");
      }
      StageOutput.complete(tmp, prov, statsJson);
      replace(tmp, abs);
      double secs = (System.nanoTime() - t0) / 1e9;
      LOG.info("filter: {} traces, {} accepted, {} rejected ({} malformed), {} prompts in {} s",
          stats.traces(), stats.accepted(), stats.rejected(), stats.malformed(), stats.prompts(), String.format("%.1f", secs));
      return new FilterResult(output, false, stats.traces(), stats.accepted(), stats.rejected(), stats.malformed(),
          stats.prompts(), hash, secs, statsJson);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + tmp + ": " + e.getMessage(), e);
    } finally {
      StageOutput.deleteTree(tmp);
    }
  }

  private static FilterStats filterInto(SparkSession spark, FilterSettings s, ArithSettings arith, long seed, Path input, Path out) {
    long t0 = System.nanoTime();
    InputScan scan = InputScan.of(input);
    FilterStats stats = new FilterStats();
    if (!scan.readable().isEmpty()) {
      String[] paths = scan.readable().stream().map(p -> p.toAbsolutePath().toString()).toArray(String[]::new);
      Dataset<Row> traces = spark.read().schema(TraceSchema.SPARK).parquet(paths);
      Map<String, List<String>> promptReasons = screenPrompts(traces, s, arith, seed);
      long t1 = System.nanoTime();
      Broadcast<Map<String, List<String>>> b = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(promptReasons);
      try {
        List<PartitionReport> reports = traces
            .repartition(s.partitions(), col("prompt_id"))
            .sortWithinPartitions(col("prompt_id"), col("sample_index"))
            .mapPartitions(new JudgePartition(s, out.toString(), b), Encoders.javaSerialization(PartitionReport.class))
            .collectAsList();
        reports.forEach(r -> stats.merge(r.stats()));
        LOG.info("filter: prompt screen {} ms, judge and write {} ms (task time: judging {} ms, writing {} ms, reading {} ms)",
            (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000,
            reports.stream().mapToLong(PartitionReport::judgeNanos).sum() / 1_000_000,
            reports.stream().mapToLong(PartitionReport::writeNanos).sum() / 1_000_000,
            reports.stream().mapToLong(r -> r.totalNanos() - r.judgeNanos() - r.writeNanos()).sum() / 1_000_000);
      } finally {
        b.destroy();
      }
    }
    salvage(scan, out.resolve(REJECTED).resolve("part-malformed.parquet"), stats);
    // Every output holds at least one (maybe empty) file, so readers always find the schema.
    ensureFile(out.resolve(ACCEPTED), Codecs.VERDICT);
    ensureFile(out.resolve(REJECTED), Codecs.VERDICT);
    ensureFile(out.resolve(SFT), Codecs.SFT);
    return stats;
  }

  /** Decontamination and dedup across prompts: needs all prompts at once, so it runs on the driver. */
  private static Map<String, List<String>> screenPrompts(Dataset<Row> traces, FilterSettings s, ArithSettings arith, long seed) {
    List<Benchmark> benchmarks = BenchmarkSources.load(s.decontamination(), arith, seed);
    if (benchmarks.isEmpty() && !s.dedupPrompts()) {
      return new HashMap<>();
    }
    Decontaminator decon = benchmarks.isEmpty() ? null : new Decontaminator(benchmarks, s.decontamination().ngram());
    if (decon != null) {
      LOG.info("filter: decontaminating against {} ({} {}-grams)", decon.benchmarks(), decon.indexedNgrams(), decon.ngram());
    }
    long t0 = System.nanoTime();
    // Distinct per partition, then on the driver: input files hold a prompt's traces together, so
    // this removes nearly all repeats without the shuffle a global distinct would cost.
    Map<String, PromptScreen.PromptText> byId = new HashMap<>();
    for (Tuple3<String, String, String> r : traces.select("prompt_id", "problem", "reference_answer")
        .where(col("prompt_id").isNotNull().and(col("problem").isNotNull()))
        .mapPartitions(FilterJob::distinctPrompts, Encoders.tuple(Encoders.STRING(), Encoders.STRING(), Encoders.STRING()))
        .collectAsList()) {
      byId.putIfAbsent(r._1(), new PromptScreen.PromptText(r._1(), r._2(), r._3()));
    }
    List<PromptScreen.PromptText> prompts = new ArrayList<>(byId.values());
    long t1 = System.nanoTime();
    Map<String, List<String>> reasons = new PromptScreen(s, decon).screen(prompts);
    LOG.info("filter: {} of {} prompts rejected as contaminated or duplicate (collect {} ms, screen {} ms)", reasons.size(),
        prompts.size(), (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000);
    return new HashMap<>(reasons);
  }

  private static Iterator<Tuple3<String, String, String>> distinctPrompts(Iterator<Row> rows) {
    Map<String, Tuple3<String, String, String>> seen = new LinkedHashMap<>();
    while (rows.hasNext()) {
      Row r = rows.next();
      seen.putIfAbsent(r.getString(0), new Tuple3<>(r.getString(0), r.getString(1), r.isNullAt(2) ? null : r.getString(2)));
    }
    return seen.values().iterator();
  }

  /**
   * Rows of files Spark cannot read with the contract's schema: each row is decoded leniently
   * (its wrong-typed columns become reasons); a file that is not Parquet becomes one row.
   */
  private static void salvage(InputScan scan, Path file, FilterStats stats) {
    if (scan.conflicting().isEmpty() && scan.unreadable().isEmpty()) {
      return;
    }
    List<Verdict> rows = new ArrayList<>();
    for (var e : scan.conflicting().entrySet()) {
      LOG.warn("filter: {} has columns of the wrong type {}: its rows are rejected", e.getKey(), e.getValue());
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
    for (Path f : scan.unreadable()) {
      LOG.warn("filter: {} is not readable Parquet: rejected", f);
      rows.add(unreadable(f, null));
    }
    for (Verdict v : rows) {
      stats.add(v, true);
    }
    ParquetIO.write(file, Codecs.VERDICT, rows);
  }

  private static Verdict unreadable(Path f, Exception e) {
    TraceDecoder.Decoded d = TraceDecoder.decode(c -> null);
    var t = d.trace();
    String why = "unreadable file " + f.getFileName() + (e == null ? "" : ": " + e.getMessage());
    var trace = new dev.retort.core.data.Trace(t.promptId(), t.sampleIndex(), null, null, null, null, t.answerType(),
        t.sampling(), null, null, null, 0, 0, 0, why);
    return new Verdict(trace, false, null, List.of(Reasons.UNREADABLE_FILE));
  }

  private static <T> void ensureFile(Path dir, dev.retort.core.io.RowCodec<T> codec) {
    if (ParquetIO.files(dir).isEmpty()) {
      ParquetIO.write(dir.resolve("part-empty.parquet"), codec, List.of());
    }
  }

  /** The config identity: the filter and arith sections (arith shapes the arith-test benchmark) and the seed. */
  public static String configHash(RetortConfig config, long seed) {
    return RetortConfig.sha256(config.hash(FilterSettings.SECTION, ArithSettings.SECTION) + "|seed=" + seed);
  }

  static boolean isDone(Path output, String hash, Map<String, String> inputs) {
    if (!StageOutput.isComplete(output, hash)) {
      return false;
    }
    try {
      return inputs.equals(new TreeMap<>(Provenance.read(output).inputs()));
    } catch (UncheckedIOException e) {
      return false;
    }
  }

  private static FilterResult skipped(Path output, String hash, long t0) {
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
  private static void replace(Path tmp, Path out) {
    try {
      Files.createDirectories(out.getParent());
      Path old = null;
      if (Files.exists(out)) {
        StageOutput.invalidate(out);
        old = out.resolveSibling("." + out.getFileName() + ".old-" + UUID.randomUUID());
        Files.move(out, old, StandardCopyOption.ATOMIC_MOVE);
      }
      Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
      if (old != null) {
        StageOutput.deleteTree(old);
      }
      cleanStale(out);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot move filter output into " + out + ": " + e.getMessage(), e);
    }
  }

  /** Leftovers of runs that crashed before their rename (hidden siblings of the output). */
  private static void cleanStale(Path out) throws IOException {
    String prefix = "." + out.getFileName() + ".";
    try (Stream<Path> s = Files.list(out.getParent())) {
      for (Path p : s.filter(p -> p.getFileName().toString().startsWith(prefix + "old-")).toList()) {
        StageOutput.deleteTree(p);
      }
    }
  }
}
