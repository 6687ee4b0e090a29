package dev.retort.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.retort.core.data.AnswerType;
import dev.retort.core.data.Prompt;
import dev.retort.core.datasets.PromptReaders;
import dev.retort.core.datasets.PromptSet;
import dev.retort.core.datasets.RejectedRow;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptReadersTest {
  @TempDir Path dir;

  /** shared/data/benchmarks, or null (tests skip with a message) when absent, as in a user's clone. */
  static Path benchmarks() {
    return dev.retort.core.io.SharedFolder.resolve("data/benchmarks");
  }

  private Path bench(String name) {
    Path b = benchmarks();
    assumeTrue(b != null && Files.exists(b.resolve(name)), "shared benchmarks absent (../shared/data/benchmarks): skipping");
    return b.resolve(name);
  }

  @Test
  void readsMath500() {
    PromptSet s = PromptReaders.read(bench("math500.jsonl"));
    assertEquals(500, s.prompts().size(), "rejects: " + s.rejects());
    Prompt p = s.prompts().get(0);
    assertEquals(AnswerType.MATH, p.answerType());
    assertTrue(p.id().startsWith("test/"), p.id());
    assertTrue(p.referenceAnswer() != null && !p.referenceAnswer().isBlank());
    assertTrue(p.solution().contains("\\boxed"), "MATH solutions carry their boxed answer");
    assertEquals(500, new HashSet<>(s.prompts().stream().map(Prompt::id).toList()).size());
  }

  @Test
  void readsGsm8kAnswersAfterHashes() {
    PromptSet s = PromptReaders.read(bench("gsm8k_test.jsonl"));
    assertEquals(1319, s.prompts().size(), "rejects: " + s.rejects());
    for (Prompt p : s.prompts()) {
      assertEquals(AnswerType.NUMBER, p.answerType());
      assertTrue(p.referenceAnswer().matches("-?[0-9]+(\\.[0-9]+)?"), p.referenceAnswer());
      assertTrue(!p.solution().contains("####"));
    }
  }

  @Test
  void readsAime() {
    PromptSet s = PromptReaders.read(bench("aime24.jsonl"));
    assertEquals(30, s.prompts().size(), "rejects: " + s.rejects());
    assertTrue(s.prompts().stream().allMatch(p -> p.answerType() == AnswerType.NUMBER));
  }

  @Test
  void malformedRowsAreRejectedWithReasonsAndReadingGoesOn() throws Exception {
    Path f = dir.resolve("mixed.jsonl");
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write("{\"id\":\"a\",\"problem\":\"1+1?\",\"answer\":\"2\"}\n".getBytes(StandardCharsets.UTF_8));
    b.write("{not json\n".getBytes(StandardCharsets.UTF_8));
    b.write("{\"id\":\"b\",\"answer\":\"2\"}\n".getBytes(StandardCharsets.UTF_8));
    b.write("{\"id\":\"c\",\"problem\":\"bad \u00e9".getBytes(StandardCharsets.UTF_8));
    b.write(new byte[] {(byte) 0xC3, (byte) 0x28});
    b.write("\",\"answer\":\"1\"}\n".getBytes(StandardCharsets.UTF_8));
    b.write("{\"id\":\"a\",\"problem\":\"again\",\"answer\":\"3\"}\n".getBytes(StandardCharsets.UTF_8));
    b.write(("{\"id\":\"d\",\"problem\":\"" + "x".repeat(200) + "\",\"answer\":\"3\"}\n").getBytes(StandardCharsets.UTF_8));
    b.write("\n{\"id\":\"e\",\"question\":\"How many? \",\"answer\":\"so 1,234\\n#### 1,234\"}\n".getBytes(StandardCharsets.UTF_8));
    Files.write(f, b.toByteArray());
    PromptSet s = PromptReaders.read(f, "auto", 100);
    assertEquals(List.of("a", "e"), s.prompts().stream().map(Prompt::id).toList());
    assertEquals("1234", s.prompts().get(1).referenceAnswer());
    List<String> reasons = s.rejects().stream().map(RejectedRow::reason).map(r -> r.substring(0, r.indexOf(':'))).toList();
    assertEquals(List.of("malformed_json", "missing_problem", "bad_encoding", "duplicate_id", "oversize"), reasons);
    assertEquals(List.of(2L, 3L, 4L, 5L, 6L), s.rejects().stream().map(RejectedRow::line).toList());
  }

  @Test
  void aRowWithTestsIsACodeProblemWhoseReferenceIsTheTests() throws Exception {
    Path f = dir.resolve("code.jsonl");
    Files.writeString(f, "{\"id\":\"c1\",\"problem\":\"Print n + 1.\",\"tests\":[{\"input\":\"1\\n\",\"output\":\"2\"}]}\n");
    Prompt p = PromptReaders.read(f).prompts().get(0);
    assertEquals(AnswerType.CODE, p.answerType());
    assertEquals("[{\"input\":\"1\\n\",\"output\":\"2\"}]", p.referenceAnswer());
  }

  @Test
  void readsHuggingFaceMessagesParquet() {
    Schema msg = SchemaBuilder.record("m").fields().requiredString("role").requiredString("content").endRecord();
    Schema schema = SchemaBuilder.record("row").fields()
        .requiredString("uuid")
        .name("messages").type().array().items(msg).noDefault()
        .endRecord();
    GenericRecord r = new GenericData.Record(schema);
    r.put("uuid", "x1");
    GenericRecord u = new GenericData.Record(msg);
    u.put("role", "user");
    u.put("content", "What is 6*7?");
    GenericRecord a = new GenericData.Record(msg);
    a.put("role", "assistant");
    a.put("content", "<think>6*7=42</think> \\boxed{42}");
    r.put("messages", List.of(u, a));
    Path f = dir.resolve("hf.parquet");
    dev.retort.core.io.ParquetIO.writeRecords(f, schema, List.of(r));
    PromptSet s = PromptReaders.read(f);
    assertEquals(1, s.prompts().size(), "rejects: " + s.rejects());
    Prompt p = s.prompts().get(0);
    assertEquals("x1", p.id());
    assertEquals("What is 6*7?", p.problem());
    assertEquals("42", p.referenceAnswer());
  }

  @Test
  void promptContractParquetReadsBack() {
    Path f = dir.resolve("prompts.parquet");
    List<Prompt> ps = List.of(new Prompt("q1", "src", "Compute 2+2.", "4", AnswerType.NUMBER, null, Map.of("k", "v")));
    PromptReaders.writeParquet(f, ps);
    assertEquals(ps, PromptReaders.read(f).prompts());
  }
}
