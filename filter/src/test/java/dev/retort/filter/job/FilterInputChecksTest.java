package dev.retort.filter.job;

import static dev.retort.filter.TestTraces.trace;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.SharedSpark;
import dev.retort.core.config.RetortConfig;
import dev.retort.core.data.Trace;
import dev.retort.core.data.Verdict;
import dev.retort.core.io.Codecs;
import dev.retort.core.io.ParquetIO;
import dev.retort.core.run.Provenance;
import dev.retort.core.run.StageOutput;
import dev.retort.core.store.Location;
import dev.retort.core.store.Manifest;
import dev.retort.filter.Reasons;
import dev.retort.filter.TestTraces;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The filter reads only what it can trust (issue 20): a complete generate output, files with the
 * contract's columns, rows that decode; anything else fails the stage naming folder, file and
 * column, unless a tolerance in the {@code inputs} section allows it.
 */
class FilterInputChecksTest {
  @TempDir Path dir;

  private static RetortConfig config(String... more) {
    List<String> o = new ArrayList<>(List.of(TestTraces.withoutBenchmarkDir("filter.partitions=2")));
    o.addAll(List.of(more));
    return RetortConfig.defaults(o.toArray(String[]::new));
  }

  private static List<Trace> traces(String prefix, int prompts) {
    List<Trace> out = new ArrayList<>();
    for (int p = 0; p < prompts; p++) {
      int a = 3 + p;
      for (int s = 0; s < 2; s++) {
        out.add(trace(String.format("%s-%03d", prefix, p), s, "What is " + a + " + 2?", Integer.toString(a + 2),
            "Step plan: we add " + a + " and 2 and check the total " + (a + 2) + " twice over " + s + ".",
            "The answer is \\boxed{" + (a + 2) + "}."));
      }
    }
    return out;
  }

  /** A traces folder as generate leaves it: shards, provenance of stage generate, and a _SUCCESS listing the shards. */
  private static Path generated(Path traces, int shards) throws Exception {
    for (int i = 0; i < shards; i++) {
      ParquetIO.write(traces.resolve(String.format("shard-%05d.parquet", i)), Codecs.TRACE, traces("p" + i, 5));
    }
    mark(traces, "generate");
    return traces;
  }

  private static void mark(Path traces, String stage) throws Exception {
    List<Manifest.Entry> files = new ArrayList<>();
    try (Stream<Path> s = Files.list(traces)) {
      for (Path f : s.filter(f -> f.getFileName().toString().endsWith(".parquet")).sorted().toList()) {
        files.add(new Manifest.Entry(f.getFileName().toString(), Files.size(f), -1));
      }
    }
    StageOutput.complete(Location.local(traces), Provenance.of(stage, "h-" + stage, Map.of(), 42, Map.of(), Map.of()),
        null, files);
  }

  private IllegalStateException fails(RetortConfig cfg, Path in, Path out) {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> FilterJob.run(SharedSpark.get(), cfg, in, out));
    assertFalse(Files.exists(out.resolve("_SUCCESS")), "no output marked complete");
    return e;
  }

  @Test
  void completeGenerateOutputIsRead() throws Exception {
    Path in = generated(dir.resolve("traces"), 2);
    FilterResult r = FilterJob.run(SharedSpark.get(), config(), in, dir.resolve("filtered"));
    assertEquals(20, r.traces());
    assertEquals(true, r.stats().get("input_complete"));
    assertEquals(0, r.stats().get("bad_files"));
  }

  @Test
  void folderWithoutSuccessAndAShardMissingIsAnErrorUnlessAllowed() throws Exception {
    Path in = generated(dir.resolve("traces"), 3);
    Files.delete(in.resolve("_SUCCESS"));
    Files.delete(in.resolve("shard-00001.parquet"));
    IllegalStateException e = fails(config(), in, dir.resolve("filtered"));
    assertTrue(e.getMessage().contains(in.toString()) && e.getMessage().contains("no _SUCCESS")
        && e.getMessage().contains("retort generate --output " + in), e.getMessage());

    FilterResult r = FilterJob.run(SharedSpark.get(), config("inputs.allow-incomplete=true"), in, dir.resolve("filtered"));
    assertEquals(20, r.traces());
    assertEquals(false, r.stats().get("input_complete"));
    @SuppressWarnings("unchecked")
    Map<String, Object> inputs = (Map<String, Object>) Provenance.read(dir.resolve("filtered")).config().get("inputs");
    assertEquals(true, inputs.get("allow-incomplete"), "the override is recorded in provenance");
  }

  @Test
  void markerListingAMissingShardOrFromAnotherStageIsAnError() throws Exception {
    Path in = generated(dir.resolve("traces"), 2);
    Files.delete(in.resolve("shard-00001.parquet"));
    IllegalStateException e = fails(config(), in, dir.resolve("filtered"));
    assertTrue(e.getMessage().contains("committed file missing") && e.getMessage().contains("shard-00001.parquet"), e.getMessage());

    Path other = dir.resolve("other");
    ParquetIO.write(other.resolve("shard-00000.parquet"), Codecs.TRACE, traces("o", 3));
    mark(other, "filter");
    e = fails(config(), other, dir.resolve("filtered2"));
    assertTrue(e.getMessage().contains("written by stage 'filter', not generate"), e.getMessage());
  }

  @Test
  void randomBytesOrTruncatedShardFailsNamingTheFileUnlessQuarantined() throws Exception {
    Path in = dir.resolve("traces");
    ParquetIO.write(in.resolve("shard-00000.parquet"), Codecs.TRACE, traces("a", 5));
    byte[] random = new byte[4096];
    new Random(3).nextBytes(random);
    Files.write(in.resolve("shard-00001.parquet"), random);
    ParquetIO.write(in.resolve("shard-00002.parquet"), Codecs.TRACE, traces("c", 5));
    byte[] whole = Files.readAllBytes(in.resolve("shard-00002.parquet"));
    Files.write(in.resolve("shard-00002.parquet"), java.util.Arrays.copyOf(whole, whole.length / 2));
    mark(in, "generate");

    IllegalStateException e = fails(config(), in, dir.resolve("filtered"));
    assertTrue(e.getMessage().contains("shard-00001.parquet: not readable Parquet") && e.getMessage().contains("1 more bad file"),
        e.getMessage());

    FilterResult r = FilterJob.run(SharedSpark.get(), config("inputs.max-bad-files=2"), in, dir.resolve("filtered"));
    assertEquals(2, r.stats().get("bad_files"));
    assertEquals(10 + 2, r.traces(), "ten traces and one quarantine row per bad file");
    List<Verdict> rejected = ParquetIO.read(dir.resolve("filtered/rejected"), Codecs.VERDICT);
    assertEquals(2, rejected.stream().filter(v -> v.reasons().equals(List.of(Reasons.UNREADABLE_FILE))).count());
  }

  /** The required columns less {@code dropped}, all nullable, with the contract's types. */
  private static Schema requiredColumnsBut(String dropped) {
    SchemaBuilder.FieldAssembler<Schema> f = SchemaBuilder.record("trace").fields();
    for (String c : TraceSchema.REQUIRED) {
      if (c.equals(dropped)) {
        continue;
      }
      switch (TraceSchema.expected(c)) {
        case "int32" -> f = f.optionalInt(c);
        case "int64" -> f = f.optionalLong(c);
        case "double" -> f = f.optionalDouble(c);
        default -> f = f.optionalString(c);
      }
    }
    return f.endRecord();
  }

  private static GenericRecord row(Schema schema, String promptId) {
    GenericRecord row = new GenericData.Record(schema);
    for (Schema.Field field : schema.getFields()) {
      String t = TraceSchema.expected(field.name());
      row.put(field.name(), t.equals("int32") ? 1 : t.equals("int64") ? (Object) 1L : t.equals("double") ? (Object) 0.5 : "x");
    }
    if (schema.getField("prompt_id") != null) {
      row.put("prompt_id", promptId);
    }
    return row;
  }

  @Test
  void missingRequiredColumnIsAnErrorNamingFileAndColumn() throws Exception {
    for (String dropped : List.of("answer", "prompt_id")) {
      Path in = dir.resolve("no-" + dropped);
      Schema schema = requiredColumnsBut(dropped);
      GenericRecord row = row(schema, "x");
      ParquetIO.writeRecords(in.resolve("shard-00000.parquet"), schema, List.of(row));
      mark(in, "generate");
      IllegalStateException e = fails(config(), in, dir.resolve("out-" + dropped));
      assertTrue(e.getMessage().contains(in.resolve("shard-00000.parquet").toString())
          && e.getMessage().contains("missing required column " + dropped), e.getMessage());
    }
  }

  @Test
  void malformedRowsFailUnlessTolerated() throws Exception {
    Path in = dir.resolve("traces");
    ParquetIO.write(in.resolve("shard-00000.parquet"), Codecs.TRACE, traces("m", 4));
    // Every required column there, but one row without its prompt id.
    Schema schema = requiredColumnsBut("");
    ParquetIO.writeRecords(in.resolve("shard-00001.parquet"), schema, List.of(row(schema, null), row(schema, "n-1")));
    mark(in, "generate");
    IllegalStateException e = fails(config(), in, dir.resolve("filtered"));
    assertTrue(e.getMessage().contains("1 malformed rows in " + in), e.getMessage());
    FilterResult r = FilterJob.run(SharedSpark.get(), config("inputs.max-bad-rows=1"), in, dir.resolve("filtered"));
    assertEquals(1L, ((Number) r.stats().get("bad_rows")).longValue());
    assertEquals(8 + 2, r.traces());
  }

  @Test
  void emptyFilesAreAnErrorUnlessAllowed() throws Exception {
    Path in = dir.resolve("traces");
    ParquetIO.write(in.resolve("shard-00000.parquet"), Codecs.TRACE, List.of());
    mark(in, "generate");
    IllegalStateException e = fails(config(), in, dir.resolve("filtered"));
    assertTrue(e.getMessage().contains("no traces in " + in), e.getMessage());
    assertEquals(0, FilterJob.run(SharedSpark.get(), config("inputs.allow-empty=true"), in, dir.resolve("filtered")).traces());
  }

  @Test
  void leftoversOfAKilledRunAreRemovedByTheRerun() throws Exception {
    Path in = generated(dir.resolve("run/traces"), 1);
    Path stale = Files.createDirectories(dir.resolve("run/.filtered.tmp-1234/accepted"));
    Files.writeString(stale.resolve("part-00000.parquet"), "half written");
    FilterJob.run(SharedSpark.get(), config(), in, dir.resolve("run/filtered"));
    try (Stream<Path> s = Files.list(dir.resolve("run"))) {
      assertEquals(List.of(), s.filter(p -> p.getFileName().toString().startsWith(".")).toList());
    }
  }
}
