package dev.retort.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.config.RetortConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutcomeFilesTest {
  @TempDir Path tmp;

  @Test
  void readsRowsWithNullAnswersAndOptionalLengths() throws Exception {
    Path f = tmp.resolve("s.jsonl");
    Files.writeString(f, """
        {"problem_id": "a", "sample_index": 0, "answer": "1/2", "correct": true, "completion_tokens": 12}
        {"problem_id": "a", "sample_index": 1, "answer": null, "correct": false}

        {"problem_id": 7, "sample_index": "2", "answer": 3, "correct": 1}
        """);
    List<Outcome> rows = OutcomeFiles.read(f);
    assertEquals(3, rows.size());
    assertEquals(12, rows.get(0).completionTokens());
    assertNull(rows.get(1).answer());
    assertEquals("7", rows.get(2).problemId());
    assertEquals("3", rows.get(2).answer());
    assertTrue(rows.get(2).correct());
  }

  @Test
  void badRowsAreErrorsNamingLineAndField() throws Exception {
    Path f = tmp.resolve("bad.jsonl");
    Files.writeString(f, "{\"problem_id\": \"a\", \"sample_index\": 0, \"answer\": \"1\", \"correct\": true}\n"
        + "{\"problem_id\": \"a\", \"sample_index\": 1, \"answer\": \"1\", \"correct\": \"maybe\"}\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OutcomeFiles.read(f));
    assertTrue(e.getMessage().contains("line 2") && e.getMessage().contains("'correct'"), e.getMessage());
    Files.writeString(f, "{\"problem_id\": \"a\", \"answer\": \"1\", \"correct\": true}\n");
    e = assertThrows(IllegalArgumentException.class, () -> OutcomeFiles.read(f));
    assertTrue(e.getMessage().contains("line 1") && e.getMessage().contains("'sample_index'"), e.getMessage());
    Files.writeString(f, "not json\n");
    e = assertThrows(IllegalArgumentException.class, () -> OutcomeFiles.read(f));
    assertTrue(e.getMessage().contains("line 1"), e.getMessage());
  }

  @Test
  void defaultsBindAndFollowR1sProtocol() {
    EvalSettings s = EvalSettings.from(RetortConfig.defaults());
    assertEquals(0.6, s.protocol().temperature());
    assertEquals(0.95, s.protocol().topP());
    assertEquals(PromptTemplate.R1, PromptTemplate.of(s.protocol().template()));
    assertTrue(PromptTemplate.R1.render("What is 2+2?").endsWith("\nPlease reason step by step, and put your final answer within \\boxed{}."));
    assertTrue(s.models().isEmpty() && s.seed().isEmpty() && s.reportDir().isEmpty());
    // A benchmark's own keys win over the shared protocol; the rest fall back to it.
    EvalSettings t = EvalSettings.from(RetortConfig.defaults("eval.benchmarks=[{name = arith, k = 8, template = plain}]"));
    EvalSettings.Protocol p = t.benchmarks().get(0).protocol(t.protocol());
    assertEquals(8, p.k());
    assertEquals("plain", p.template());
    assertEquals(0.6, p.temperature());
  }
}
