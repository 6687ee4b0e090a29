package dev.retort.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.data.AnswerType;
import dev.retort.core.data.Prompt;
import dev.retort.core.datasets.PromptColumns;
import dev.retort.core.datasets.PromptReaders;
import dev.retort.core.datasets.PromptSet;
import dev.retort.core.io.ParquetIO;
import dev.retort.core.store.Location;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.zip.GZIPOutputStream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prompt sets as the Hugging Face Hub lays them out ({@code data/<split>-0000i-of-0000N.parquet}),
 * with the datasets' own column names mapped by {@link PromptColumns}, read through the store
 * (a {@code file:} URI here, the same code as {@code hdfs://}).
 */
class HuggingFaceLayoutTest {
  @TempDir Path dir;

  private static final Schema QA = SchemaBuilder.record("row").fields()
      .requiredString("question").requiredString("solution").optionalString("level").endRecord();

  /** Writes rows (question i, solution boxing i*2) as one Parquet shard. */
  private static void shard(Path file, int from, int to) {
    List<GenericRecord> rows = new ArrayList<>();
    for (int i = from; i < to; i++) {
      GenericRecord r = new GenericData.Record(QA);
      r.put("question", "What is " + i + " + " + i + "?");
      r.put("solution", "Add: " + i + " + " + i + " = " + (2 * i) + ", so \\boxed{" + (2 * i) + "}.");
      r.put("level", "Level " + (i % 5));
      rows.add(r);
    }
    ParquetIO.writeRecords(file, QA, rows);
  }

  private Path dataset() throws Exception {
    Path ds = dir.resolve("toy-math");
    Files.createDirectories(ds.resolve("data"));
    shard(ds.resolve("data/train-00000-of-00002.parquet"), 0, 3);
    shard(ds.resolve("data/train-00001-of-00002.parquet"), 3, 5);
    shard(ds.resolve("data/test-00000-of-00001.parquet"), 100, 102);
    Files.writeString(ds.resolve("README.md"), "---\ndataset_info: ...\n---\n");
    return ds;
  }

  private static PromptColumns columns(String problem, String answer) {
    return new PromptColumns(Optional.empty(), Optional.ofNullable(problem), Optional.ofNullable(answer),
        Optional.empty(), Optional.empty());
  }

  @Test
  void readsEveryShardOfTheChosenSplitWithMappedColumns() throws Exception {
    Location ds = Location.of("file:" + dataset().toAbsolutePath());
    PromptColumns cols = new PromptColumns(Optional.empty(), Optional.of("question"), Optional.empty(),
        Optional.of("solution"), Optional.empty());
    PromptSet train = PromptReaders.read(ds, "auto", 1000, cols, "train");
    assertEquals(List.of(), train.rejects());
    assertEquals("toy-math", train.source());
    assertEquals(5, train.prompts().size());
    for (int i = 0; i < 5; i++) {
      Prompt p = train.prompts().get(i);
      assertEquals("What is " + i + " + " + i + "?", p.problem());
      // No answer column: the solution's last \boxed{} is the reference.
      assertEquals(Integer.toString(2 * i), p.referenceAnswer());
      assertEquals(AnswerType.MATH, p.answerType());
      assertEquals("Level " + (i % 5), p.metadata().get("level"));
    }
    // Ids number rows across shards, so the second shard's rows do not collide with the first's.
    assertEquals(List.of("toy-math/1", "toy-math/2", "toy-math/3", "toy-math/4", "toy-math/5"),
        train.prompts().stream().map(Prompt::id).toList());

    PromptSet test = PromptReaders.read(ds, "auto", 1000, cols, "test");
    assertEquals(List.of("What is 100 + 100?", "What is 101 + 101?"), test.prompts().stream().map(Prompt::problem).toList());
  }

  @Test
  void aMissingConfiguredColumnIsOneLineNamingTheFileAndColumn() throws Exception {
    Path ds = dataset();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PromptReaders.read(Location.local(ds), "auto", 1000, columns("instruction", null), "train"));
    assertTrue(e.getMessage().contains("train-00000-of-00002.parquet"), e.getMessage());
    assertTrue(e.getMessage().contains("'instruction'") && e.getMessage().contains("prompt-columns.problem"), e.getMessage());
    assertTrue(e.getMessage().contains("question"), "lists the columns the file has: " + e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }

  @Test
  void anAbsentSplitNamesTheSplitAndTheFilesThere() throws Exception {
    Path ds = dataset();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PromptReaders.read(Location.local(ds), "auto", 1000, PromptColumns.DEFAULT, "validation"));
    assertTrue(e.getMessage().contains("'validation'") && e.getMessage().contains("train-00000-of-00002.parquet"), e.getMessage());
  }

  @Test
  void gzippedJsonlSplitFilesAndShareGptMessagesRead() throws Exception {
    Path ds = Files.createDirectories(dir.resolve("chats"));
    String rows = "{\"conversations\":[{\"from\":\"human\",\"value\":\"Compute 3*4.\"},{\"from\":\"gpt\",\"value\":\"<think>3*4=12</think>\\n\\n\\\\boxed{12}\"}],\"uid\":\"c1\"}\n"
        + "{\"conversations\":[{\"from\":\"human\",\"value\":\"Compute 5*5.\"}],\"gold\":\"25\",\"uid\":\"c2\"}\n";
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(ds.resolve("train.jsonl.gz")))) {
      out.write(rows.getBytes(StandardCharsets.UTF_8));
    }
    Files.writeString(ds.resolve("test.jsonl"), "{\"conversations\":[{\"from\":\"human\",\"value\":\"never read\"}]}\n");
    PromptColumns cols = new PromptColumns(Optional.of("uid"), Optional.empty(), Optional.empty(), Optional.empty(),
        Optional.of("conversations"));
    PromptSet s = PromptReaders.read(Location.local(ds), "messages", 1000, cols, "train");
    assertEquals(List.of(), s.rejects());
    assertEquals(List.of("c1", "c2"), s.prompts().stream().map(Prompt::id).toList());
    assertEquals("Compute 3*4.", s.prompts().get(0).problem());
    assertEquals("12", s.prompts().get(0).referenceAnswer());
    assertEquals("25", s.prompts().get(1).referenceAnswer());
  }

  @Test
  void aConfiguredColumnReplacesTheLayoutsOwnAndGsm8kTakesIt() throws Exception {
    Path f = dir.resolve("gsm.jsonl");
    Files.writeString(f, "{\"question\":\"ignored\",\"q\":\"Tom has 3 apples and buys 4. How many?\",\"answer\":\"3+4=7\\n#### 7\"}\n");
    PromptSet s = PromptReaders.read(Location.local(f), "auto", 1000, columns("q", null), "train");
    assertEquals(1, s.prompts().size(), "rejects: " + s.rejects());
    assertEquals("Tom has 3 apples and buys 4. How many?", s.prompts().get(0).problem());
    assertEquals("7", s.prompts().get(0).referenceAnswer());
    assertEquals(AnswerType.NUMBER, s.prompts().get(0).answerType());
  }

  @Test
  void aFolderOfContractParquetStillReadsWhole() throws Exception {
    Path d = dir.resolve("prompts");
    List<Prompt> ps = List.of(new Prompt("a", "s", "p1", "1", AnswerType.NUMBER, null, null),
        new Prompt("b", "s", "p2", null, AnswerType.MATH, null, null));
    PromptReaders.writeParquet(d.resolve("part-00000.parquet"), ps.subList(0, 1));
    PromptReaders.writeParquet(d.resolve("part-00001.parquet"), ps.subList(1, 2));
    // A stage output's side files are not prompt rows.
    Files.writeString(d.resolve("provenance.json"), "{\n  \"stage\": \"generate-prompts\"\n}\n");
    Files.writeString(d.resolve("stats.json"), "{\"prompts\": 2}\n");
    PromptSet s = PromptReaders.read(Location.local(d), "auto", 1000, PromptColumns.DEFAULT, "train");
    assertEquals(ps, s.prompts());
    assertEquals(List.of(), s.rejects());
    assertNull(s.prompts().get(1).referenceAnswer());
  }
}
