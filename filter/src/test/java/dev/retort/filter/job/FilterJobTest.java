package dev.retort.filter.job;

import static dev.retort.filter.TestTraces.trace;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.retort.core.SharedSpark;
import dev.retort.core.config.RetortConfig;
import dev.retort.core.data.SftExample;
import dev.retort.core.data.Trace;
import dev.retort.core.data.Verdict;
import dev.retort.core.io.Codecs;
import dev.retort.core.io.Json;
import dev.retort.core.io.ParquetIO;
import dev.retort.core.run.Provenance;
import dev.retort.core.run.StageOutput;
import dev.retort.filter.FilterSettings;
import dev.retort.filter.PromptScreen;
import dev.retort.filter.PromptScreenOracle;
import dev.retort.filter.Reasons;
import dev.retort.filter.SftView;
import dev.retort.filter.TestTraces;
import dev.retort.filter.TraceJudge;
import dev.retort.filter.decontam.DecontamBenchmark;
import dev.retort.filter.decontam.BenchmarkSources;
import dev.retort.filter.decontam.Decontaminator;
import dev.retort.core.datasets.ArithSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Spark job end to end: local Spark, real Parquet in and out, malformed input included. */
class FilterJobTest {
  private static final String BENCH_PROBLEM =
      "A regular hexagon is inscribed in a circle of radius 4. What is the exact area of the region inside the circle but outside the hexagon?";

  @TempDir static Path dir;
  static Path input;
  static Path benchFile;
  static List<Trace> wellFormed = new ArrayList<>();

  static String reasoning(int seed, int words) {
    StringBuilder b = new StringBuilder("Step plan " + seed + ".");
    String[] v = "first we add the amounts then we subtract what was given away and check the total".split(" ");
    for (int i = 0; i < words; i++) {
      b.append(' ').append(v[(i * 5 + seed) % v.length]);
      if (i % 4 == 0) {
        b.append(' ').append(seed * 1000 + i);
      }
    }
    return b.toString();
  }

  @BeforeAll
  static void writeInput() throws Exception {
    input = dir.resolve("run/traces");
    benchFile = dir.resolve("mybench.jsonl");
    Files.writeString(benchFile, Json.toJson(Map.of("problem", BENCH_PROBLEM, "answer", "16\\pi - 24\\sqrt{3}")) + "\n");
    // 40 ordinary prompts with 4 samples each: a mix of correct, wrong, truncated and duplicated traces.
    for (int p = 0; p < 40; p++) {
      String id = String.format("arith-%03d", p);
      int a = 3 + p;
      int b = 2 + p % 7;
      String problem = "Ben has " + a + " coins. Then Ben gets " + b + " more. How many coins does Ben have?";
      String gold = Integer.toString(a + b);
      for (int s = 0; s < 4; s++) {
        int kind = (p + s) % 5;
        String answer = kind == 1 ? "\\boxed{" + (a + b + 1) + "}" : "The answer is \\boxed{" + gold + "}.";
        String finish = kind == 2 ? "length" : "stop";
        // kind 3 repeats sample 0's reasoning word for word: a duplicate when both are correct.
        String r = kind == 3 ? reasoning(p * 10, 20) : reasoning(p * 10 + s, 20 + 3 * s);
        wellFormed.add(trace(id, s, problem, gold, r, answer, finish, 30 + 7 * s));
      }
    }
    // A contaminated prompt and an exact duplicate of arith-000's problem under a later id.
    wellFormed.add(trace("bench-copy", 0, "Please solve: " + BENCH_PROBLEM, "16\\pi - 24\\sqrt{3}", reasoning(900, 30),
        "\\boxed{16\\pi - 24\\sqrt{3}}"));
    wellFormed.add(trace("zz-dup", 0, wellFormed.get(0).problem().toUpperCase(), wellFormed.get(0).referenceAnswer(),
        reasoning(901, 30), "\\boxed{" + wellFormed.get(0).referenceAnswer() + "}"));
    List<Trace> shuffled = new ArrayList<>(wellFormed);
    java.util.Collections.shuffle(shuffled, new java.util.Random(5));
    ParquetIO.write(input.resolve("part-00000.parquet"), Codecs.TRACE, shuffled.subList(0, 100));
    ParquetIO.write(input.resolve("shard-b/part-00001.parquet"), Codecs.TRACE, shuffled.subList(100, shuffled.size()));

    // Rows that break the contract but whose columns have the right types: null id, null required field.
    Schema loose = SchemaBuilder.record("trace").fields()
        .optionalString("prompt_id").optionalInt("sample_index").optionalString("problem").optionalDouble("temperature")
        .optionalDouble("top_p").optionalInt("top_k").optionalInt("max_tokens").optionalInt("prompt_tokens")
        .optionalInt("completion_tokens").optionalLong("latency_ms").optionalString("reasoning").optionalString("answer")
        .endRecord();
    GenericRecord noId = row(loose, null, 0, "What is 2+2?", 0.6);
    GenericRecord noTemp = row(loose, "loose-1", 1, "What is 3+3?", null);
    ParquetIO.writeRecords(input.resolve("loose.parquet"), loose, List.of(noId, noTemp));

    // A column of the wrong type: sample_index as a string.
    Schema badType = SchemaBuilder.record("trace").fields()
        .requiredString("prompt_id").requiredString("sample_index").requiredString("problem").endRecord();
    GenericRecord bt = new GenericData.Record(badType);
    bt.put("prompt_id", "typed-1");
    bt.put("sample_index", "zero");
    bt.put("problem", "What is 5+5?");
    ParquetIO.writeRecords(input.resolve("bad-types.parquet"), badType, List.of(bt));

    // Not Parquet at all, and teacher-gen's errors/ folder, which is not traces.
    Files.writeString(input.resolve("garbage.parquet"), "this is not parquet", StandardCharsets.UTF_8);
    ParquetIO.write(input.resolve("errors/part-00000.parquet"), Codecs.TRACE,
        List.of(trace("err-1", 0, "x", "1", "r", "a")));
  }

  private static GenericRecord row(Schema s, String id, int idx, String problem, Double temperature) {
    GenericRecord r = new GenericData.Record(s);
    r.put("prompt_id", id);
    r.put("sample_index", idx);
    r.put("problem", problem);
    r.put("temperature", temperature);
    r.put("top_p", 0.9);
    r.put("top_k", 0);
    r.put("max_tokens", 64);
    r.put("prompt_tokens", 5);
    r.put("completion_tokens", 6);
    r.put("latency_ms", 7L);
    r.put("reasoning", "think");
    r.put("answer", "\\boxed{4}");
    return r;
  }

  static RetortConfig config(String... more) {
    List<String> o = new ArrayList<>(List.of(TestTraces.withoutBenchmarkDir()));
    o.add("filter.decontamination.benchmarks=[\"" + benchFile.toAbsolutePath() + "\"]");
    o.add("filter.partitions=3");
    // The fixture is hand-made (no generate _SUCCESS) and holds three bad files on purpose.
    o.add("inputs.allow-incomplete=true");
    o.add("inputs.max-bad-files=3");
    o.addAll(List.of(more));
    return RetortConfig.defaults(o.toArray(String[]::new));
  }

  @Test
  void filtersMalformedInputAndRerunsIdempotently() throws Exception {
    Path out = dir.resolve("run/filtered");
    RetortConfig config = config();
    FilterSettings s = FilterSettings.from(config);
    FilterResult r = FilterJob.run(SharedSpark.get(), config, input, out);
    assertFalse(r.skipped());

    // Expected verdicts from the plain-Java core over the same traces.
    List<DecontamBenchmark> benches = BenchmarkSources.load(s.decontamination(), ArithSettings.from(config), 42);
    Map<String, List<String>> promptReasons = PromptScreenOracle.screen(s, new Decontaminator(benches, 10),
        wellFormed.stream().map(t -> new PromptScreen.PromptText(t.promptId(), t.problem(), t.referenceAnswer())).toList());
    assertEquals(List.of(Reasons.contaminated("mybench")), promptReasons.get("bench-copy"));
    assertEquals(List.of(Reasons.DUPLICATE_PROMPT), promptReasons.get("zz-dup"));
    Map<String, List<Trace>> groups = wellFormed.stream().collect(Collectors.groupingBy(Trace::promptId, TreeMap::new, Collectors.toList()));
    Map<String, Verdict> expected = new HashMap<>();
    TraceJudge judge = new TraceJudge(s);
    groups.forEach((id, g) -> judge.judge(g, promptReasons.getOrDefault(id, List.of())).forEach(v -> expected.put(v.trace().key(), v)));
    long expectedAccepted = expected.values().stream().filter(Verdict::accepted).count();
    assertTrue(expectedAccepted > 20 && expectedAccepted < wellFormed.size(), "fixture has both outcomes: " + expectedAccepted);

    // Outputs read back with core's ParquetIO (and Spark below).
    List<Verdict> accepted = ParquetIO.read(out.resolve("accepted"), Codecs.VERDICT);
    List<Verdict> rejected = ParquetIO.read(out.resolve("rejected"), Codecs.VERDICT);
    List<SftExample> sft = ParquetIO.read(out.resolve("sft"), Codecs.SFT);
    int malformedRows = 2 + 1 + 1; // loose.parquet, bad-types.parquet, garbage.parquet
    assertEquals(expectedAccepted, accepted.size());
    assertEquals(wellFormed.size() - expectedAccepted + malformedRows, rejected.size());
    assertEquals(accepted.size(), sft.size());
    assertEquals(wellFormed.size() + malformedRows, r.traces());
    assertEquals(accepted.size(), r.accepted());
    assertEquals(malformedRows, r.malformed());
    assertEquals(3, r.stats().get("bad_files"), "quarantined: loose (no reference_answer), bad-types, garbage");
    assertEquals(0L, ((Number) r.stats().get("bad_rows")).longValue());
    for (Verdict v : accepted) {
      Verdict e = expected.get(v.trace().key());
      assertTrue(e.accepted(), v.trace().key());
      assertEquals(e.trace(), v.trace());
      assertEquals(e.correct(), v.correct());
      assertEquals(e.extracted(), v.extracted());
    }
    Map<String, List<String>> reasonsByKey = new HashMap<>();
    for (Verdict v : rejected) {
      assertFalse(v.reasons().isEmpty(), "rejected rows carry reasons");
      reasonsByKey.put(v.trace().key(), v.reasons());
      Verdict e = expected.get(v.trace().key());
      if (e != null) {
        assertEquals(e.reasons(), v.reasons(), v.trace().key());
      }
    }
    assertEquals(List.of(Reasons.MISSING_PROMPT_ID), reasonsByKey.get("#0"));
    assertEquals(List.of(Reasons.nullField("temperature")), reasonsByKey.get("loose-1#1"));
    assertTrue(reasonsByKey.get("typed-1#-1").contains(Reasons.badType("sample_index")), reasonsByKey.toString());
    assertTrue(rejected.stream().anyMatch(v -> v.reasons().equals(List.of(Reasons.UNREADABLE_FILE))
        && v.trace().error().contains("garbage.parquet")));
    assertTrue(rejected.stream().noneMatch(v -> v.trace().promptId().equals("err-1")), "errors/ is not read");
    assertEquals(List.of(Reasons.contaminated("mybench")), reasonsByKey.get("bench-copy#0"));

    // SFT view: one row per accepted trace, with the teacher's prompt template.
    Map<String, SftExample> sftByKey = sft.stream().collect(Collectors.toMap(e -> e.promptId() + "#" + e.sampleIndex(), e -> e));
    for (Verdict v : accepted) {
      assertEquals(SftView.of(v.trace(), s), sftByKey.get(v.trace().key()));
    }

    // Spark reads the same outputs.
    assertEquals(accepted.size(), SharedSpark.get().read().parquet(out.resolve("accepted").toString()).count());
    // The default view is prompt-completion: the reasoning is in the completion only.
    Row first = SharedSpark.get().read().parquet(out.resolve("sft").toString()).select("prompt", "completion", "reasoning", "messages").first();
    assertTrue(first.getString(1).startsWith("<think>\n"), first.getString(1));
    assertTrue(first.isNullAt(2));
    assertEquals(0, first.getList(3).size());

    // stats.json: counts per reason and per source agree with the rows.
    JsonNode stats = Json.read(out.resolve("stats.json"));
    assertEquals(r.traces(), stats.get("traces").asLong());
    assertEquals(accepted.size(), stats.get("accepted").asLong());
    Map<String, Long> reasonCounts = new TreeMap<>();
    rejected.forEach(v -> v.reasons().forEach(x -> reasonCounts.merge(x, 1L, Long::sum)));
    Map<String, Long> fromStats = new TreeMap<>();
    stats.get("by_reason").properties().forEach(e -> fromStats.put(e.getKey(), e.getValue().get("traces").asLong()));
    assertEquals(reasonCounts, fromStats);
    assertEquals((double) accepted.size() / r.traces(), stats.get("accept_rate").asDouble(), 1e-12);
    assertEquals(wellFormed.size(), stats.get("by_source").get("unit").get("traces").asLong());
    long prompts = groups.size();
    assertEquals(prompts, stats.get("pass_rate").get("prompts").asLong());
    double meanPass = groups.values().stream().mapToDouble(g -> g.stream().filter(t -> expected.get(t.key()).correct()).count()
        / (double) g.size()).average().orElse(0);
    assertEquals(meanPass, stats.get("pass_rate").get("mean").asDouble(), 1e-9);
    long promptStatRows;
    try (Stream<Path> files = Files.list(out.resolve("prompt_stats"))) {
      promptStatRows = files.mapToLong(f -> Json.readLines(f).size()).sum();
    }
    assertEquals(prompts, promptStatRows);

    // Markers: _SUCCESS holds the config hash; provenance names the input identity.
    assertTrue(StageOutput.isComplete(out, r.configHash()));
    assertEquals(Provenance.identityOf(input), Provenance.read(out).inputs().get("traces"));

    // Same config, same input: a no-op that leaves the files alone.
    long stamp = Files.getLastModifiedTime(out.resolve("_SUCCESS")).toMillis();
    FilterResult again = FilterJob.run(SharedSpark.get(), config, input, out);
    assertTrue(again.skipped());
    assertEquals(r.accepted(), again.accepted());
    assertEquals(r.prompts(), again.prompts());
    assertEquals(r.malformed(), again.malformed());
    assertTrue(again.stats().get("pass_rate") instanceof Map<?, ?>, "stats come back as plain Java maps");
    assertEquals(stamp, Files.getLastModifiedTime(out.resolve("_SUCCESS")).toMillis());
    // Where and how wide Spark runs is no part of the output's identity.
    assertTrue(FilterJob.run(SharedSpark.get(), config("filter.spark-master=\"spark://elsewhere:7077\"", "filter.partitions=7"),
        input, out).skipped());

    // Another config: rewritten in place, no temporaries left beside it.
    FilterResult k1 = FilterJob.run(SharedSpark.get(), config("filter.keep-per-prompt=1"), input, out);
    assertFalse(k1.skipped());
    assertNotEquals(r.configHash(), k1.configHash());
    List<Verdict> acceptedK1 = ParquetIO.read(out.resolve("accepted"), Codecs.VERDICT);
    Map<String, Long> perPrompt = acceptedK1.stream().collect(Collectors.groupingBy(v -> v.trace().promptId(), Collectors.counting()));
    assertTrue(perPrompt.values().stream().allMatch(n -> n == 1), perPrompt.toString());
    assertEquals(accepted.stream().map(v -> v.trace().promptId()).distinct().count(), acceptedK1.size());
    // The kept trace is the shortest accepted one of its prompt.
    Map<String, Verdict> shortest = new LinkedHashMap<>();
    accepted.stream().sorted(Comparator.comparingInt((Verdict v) -> v.trace().completionTokens()).thenComparingInt(v -> v.trace().sampleIndex()))
        .forEach(v -> shortest.putIfAbsent(v.trace().promptId(), v));
    for (Verdict v : acceptedK1) {
      assertEquals(shortest.get(v.trace().promptId()).trace().key(), v.trace().key());
    }
    try (Stream<Path> siblings = Files.list(out.getParent())) {
      assertEquals(List.of(), siblings.filter(p -> p.getFileName().toString().startsWith(".")).toList());
    }
  }

  @Test
  void emptyInputGivesEmptyReadableOutputsWhenAllowed() throws Exception {
    Path in = Files.createDirectories(dir.resolve("empty/traces"));
    Path out = dir.resolve("empty/filtered");
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> FilterJob.run(SharedSpark.get(), config(), in, out));
    assertTrue(e.getMessage().contains("no trace files") && e.getMessage().contains(in.toString()), e.getMessage());
    assertFalse(Files.exists(out), "nothing written");
    FilterResult r = FilterJob.run(SharedSpark.get(), config("inputs.allow-empty=true"), in, out);
    assertEquals(0, r.traces());
    assertEquals(List.of(), ParquetIO.read(out.resolve("accepted"), Codecs.VERDICT));
    assertEquals(0, SharedSpark.get().read().parquet(out.resolve("sft").toString()).count());
    assertEquals(0, Json.read(out.resolve("stats.json")).get("accept_rate").asDouble());
  }
}
