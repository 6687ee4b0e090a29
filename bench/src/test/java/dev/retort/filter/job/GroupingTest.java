package dev.retort.filter.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.SharedSpark;
import dev.retort.core.config.RetortConfig;
import dev.retort.core.data.Prompt;
import dev.retort.core.data.SftExample;
import dev.retort.core.data.Trace;
import dev.retort.core.data.Verdict;
import dev.retort.core.datasets.Arith;
import dev.retort.core.io.Codecs;
import dev.retort.core.io.Json;
import dev.retort.core.io.ParquetIO;
import dev.retort.bench.SyntheticTraces;
import dev.retort.filter.TestTraces;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The judge pass without a shuffle (input partitions that hold whole prompts, as teacher-gen writes
 * them) gives exactly the verdicts of the shuffled pass, and input that splits a prompt falls back
 * to the shuffle. It lives in the bench module, beside the synthetic traces it judges, and in the
 * filter job's package for the job's package-private grouping switch.
 */
class GroupingTest {
  @TempDir Path dir;

  /** Synthetic traces of {@code prompts} prompts (every defect the filter looks for), 4 samples each. */
  private static List<List<Trace>> groups(int prompts) {
    List<Prompt> problems = Arith.generate(new Arith.Spec(2, 4, 40, 3, 400, 10), 11, prompts, Arith.Split.TRAIN);
    List<List<Trace>> out = new ArrayList<>();
    for (Prompt p : problems) {
      out.add(SyntheticTraces.traces(p, 4, 300, 11));
    }
    // An exact duplicate prompt under a later id: rejected by the prompt screen in both passes.
    List<Trace> copy = new ArrayList<>();
    for (Trace t : out.get(0)) {
      copy.add(new Trace("zz-" + t.promptId(), t.sampleIndex(), t.teacherId(), t.source(), t.problem(), t.referenceAnswer(),
          t.answerType(), t.sampling(), t.reasoning(), t.answer(), t.finishReason(), t.promptTokens(), t.completionTokens(),
          t.latencyMs(), t.error()));
    }
    out.add(copy);
    return out;
  }

  private static RetortConfig config() {
    return RetortConfig.defaults(TestTraces.withoutBenchmarkDir("filter.partitions=3", "inputs.allow-incomplete=true"));
  }

  /** Everything a run decided, keyed by trace: reasons, correctness, answer; plus the SFT rows and per-prompt stats. */
  private static Map<String, String> decisions(Path out) {
    Map<String, String> m = new TreeMap<>();
    for (String sub : List.of(FilterJob.ACCEPTED, FilterJob.REJECTED)) {
      for (Verdict v : ParquetIO.read(out.resolve(sub), Codecs.VERDICT)) {
        String had = m.put(v.trace().key(), sub + " " + v.reasons() + " " + v.correct() + " " + v.extracted() + " " + v.trace());
        assertEquals(null, had, "one verdict per trace: " + v.trace().key());
      }
    }
    for (SftExample e : ParquetIO.read(out.resolve(FilterJob.SFT), Codecs.SFT)) {
      m.put("sft " + e.promptId() + "#" + e.sampleIndex(), e.toString());
    }
    try (var files = java.nio.file.Files.list(out.resolve(FilterJob.PROMPT_STATS))) {
      for (Path f : files.toList()) {
        for (Json.Line row : Json.readLines(f)) {
          m.put("prompt " + row.node().get("prompt_id").asText(), row.raw());
        }
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return m;
  }

  private static Map<String, Object> statsWithoutGrouping(FilterResult r) {
    Map<String, Object> s = new TreeMap<>(r.stats());
    s.remove("grouping");
    return s;
  }

  @Test
  void wholePromptShardsSkipTheShuffleWithTheSameVerdicts() {
    List<List<Trace>> groups = groups(60);
    Path in = dir.resolve("traces");
    // As teacher-gen writes: each prompt in one shard, its samples together and in order.
    for (int s = 0; s < 4; s++) {
      List<Trace> rows = new ArrayList<>();
      for (int p = s; p < groups.size(); p += 4) {
        rows.addAll(groups.get(p));
      }
      ParquetIO.write(in.resolve(String.format("shard-%05d-of-00004.parquet", s)), Codecs.TRACE, rows);
    }
    FilterResult asIs = FilterJob.run(SharedSpark.get(), config(), in, dir.resolve("a"), FilterJob.Grouping.AUTO);
    FilterResult shuffled = FilterJob.run(SharedSpark.get(), config(), in, dir.resolve("b"), FilterJob.Grouping.SHUFFLE);
    assertEquals("input", asIs.stats().get("grouping"));
    assertEquals("shuffle", shuffled.stats().get("grouping"));
    Map<String, String> a = decisions(dir.resolve("a"));
    assertEquals(decisions(dir.resolve("b")), a);
    assertEquals(statsWithoutGrouping(shuffled), statsWithoutGrouping(asIs));
    assertTrue(asIs.accepted() > 0 && asIs.accepted() < asIs.traces(), "both outcomes: " + asIs.accepted());
    assertTrue(a.values().stream().anyMatch(v -> v.contains("duplicate_prompt")), "the prompt screen applied");
    assertTrue(a.values().stream().anyMatch(v -> v.contains("duplicate_trace")), "trace dedup applied");
  }

  @Test
  void promptSpanningShardsFallsBackToTheShuffle() {
    List<List<Trace>> groups = groups(30);
    Path in = dir.resolve("split");
    // Whole prompts everywhere except one, whose samples sit in two shards.
    List<Trace> first = new ArrayList<>();
    List<Trace> second = new ArrayList<>();
    for (int p = 0; p < groups.size(); p++) {
      (p % 2 == 0 ? first : second).addAll(groups.get(p));
    }
    Trace moved = first.remove(first.size() - 1);
    second.add(moved);
    ParquetIO.write(in.resolve("part-00000.parquet"), Codecs.TRACE, first);
    ParquetIO.write(in.resolve("part-00001.parquet"), Codecs.TRACE, second);
    FilterResult r = FilterJob.run(SharedSpark.get(), config(), in, dir.resolve("c"), FilterJob.Grouping.AUTO);
    assertEquals("shuffle", r.stats().get("grouping"));
    FilterJob.run(SharedSpark.get(), config(), in, dir.resolve("d"), FilterJob.Grouping.SHUFFLE);
    assertEquals(decisions(dir.resolve("d")), decisions(dir.resolve("c")));
  }

  @Test
  void promptInterleavedWithinAShardFallsBackToTheShuffle() {
    List<List<Trace>> groups = groups(30);
    Path in = dir.resolve("interleaved");
    // One file per half, but one prompt's samples come in two runs with another prompt between.
    List<Trace> first = new ArrayList<>();
    List<Trace> second = new ArrayList<>();
    for (int p = 0; p < groups.size(); p++) {
      (p < groups.size() / 2 ? first : second).addAll(groups.get(p));
    }
    Trace early = first.remove(0);
    first.add(early);
    ParquetIO.write(in.resolve("part-00000.parquet"), Codecs.TRACE, first);
    ParquetIO.write(in.resolve("part-00001.parquet"), Codecs.TRACE, second);
    FilterResult r = FilterJob.run(SharedSpark.get(), config(), in, dir.resolve("e"), FilterJob.Grouping.AUTO);
    assertEquals("shuffle", r.stats().get("grouping"));
    FilterJob.run(SharedSpark.get(), config(), in, dir.resolve("f"), FilterJob.Grouping.SHUFFLE);
    assertEquals(decisions(dir.resolve("f")), decisions(dir.resolve("e")));
  }

  @Test
  void filesAreNeverCutBetweenPartitionsWhateverTheSessionsSplitSize() {
    List<Trace> rows = new ArrayList<>();
    groups(60).forEach(rows::addAll);
    Path one = dir.resolve("one");
    ParquetIO.write(one.resolve("part-00000.parquet"), Codecs.TRACE, rows);
    // Four files of whole prompts, sorted, each of many small row groups: with a small split size
    // Spark would read each in parts, and a prompt's rows could land in two partitions.
    var spark = SharedSpark.get();
    Path cut = dir.resolve("cut");
    spark.read().parquet(one.toString()).repartition(4, org.apache.spark.sql.functions.col("prompt_id"))
        .sortWithinPartitions("prompt_id", "sample_index").write()
        .option("parquet.block.size", "4096").parquet(cut.toString());
    String key = "spark.sql.files.maxPartitionBytes";
    String before = spark.conf().get(key);
    spark.conf().set(key, "4096");
    try {
      FilterResult r = FilterJob.run(spark, config(), cut, dir.resolve("g"), FilterJob.Grouping.AUTO);
      assertEquals("input", r.stats().get("grouping"), "each file read whole by one partition");
      assertEquals("4096", spark.conf().get(key), "the session's setting is restored");
    } finally {
      spark.conf().set(key, before);
    }
    FilterJob.run(spark, config(), one, dir.resolve("h"), FilterJob.Grouping.SHUFFLE);
    assertEquals(decisions(dir.resolve("h")), decisions(dir.resolve("g")));
  }

  @Test
  void reportsThatJudgedAPromptTwiceAreCaught() {
    long a = JudgePartition.promptHash("arith-0001");
    long b = JudgePartition.promptHash("arith-0002");
    assertFalse(a == b);
    PartitionReport r1 = report(a);
    PartitionReport r2 = report(b);
    assertTrue(FilterJob.disjoint(List.of(r1, r2)));
    assertFalse(FilterJob.disjoint(List.of(r1, r2, report(a))), "across tasks");
    assertFalse(FilterJob.disjoint(List.of(report(a, b, a))), "within a task");
  }

  private static PartitionReport report(long... promptHashes) {
    return new PartitionReport(0, new FilterStats(), 0, 0, 0, 0, promptHashes, true, null);
  }
}
