package dev.retort.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.data.AnswerType;
import dev.retort.core.data.EvalSample;
import dev.retort.core.data.Prompt;
import dev.retort.core.data.SamplingParams;
import dev.retort.core.data.SftExample;
import dev.retort.core.data.Trace;
import dev.retort.core.data.Verdict;
import dev.retort.core.io.Codecs;
import dev.retort.core.io.ParquetIO;
import dev.retort.core.io.RowCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParquetRoundTripTest {
  @TempDir Path dir;

  private <T> void roundTrip(RowCodec<T> codec, List<T> rows) throws java.io.IOException {
    Path sub = dir.resolve(codec.schema().getName());
    Path f = sub.resolve("part-0.parquet");
    assertEquals(rows.size(), ParquetIO.write(f, codec, rows));
    assertTrue(Files.size(f) > 0);
    assertEquals(rows, ParquetIO.read(f, codec));
    // Folder reads list *.parquet only: temporaries and markers are ignored.
    Files.writeString(sub.resolve("_SUCCESS"), "x");
    Files.writeString(sub.resolve(".part-1.parquet.tmp-1"), "partial");
    assertEquals(rows, ParquetIO.read(sub, codec));
    // Side folders (errors/, rejects/) are not data of the folder; partition folders (k=v) are.
    ParquetIO.write(sub.resolve("errors").resolve("e.parquet"), codec, rows);
    assertEquals(rows, ParquetIO.read(sub, codec));
    ParquetIO.write(sub.resolve("day=1").resolve("p.parquet"), codec, rows);
    assertEquals(2 * rows.size(), ParquetIO.read(sub, codec).size());
  }

  static Trace trace(String id, int i, String error) {
    return new Trace(id, i, "teacher-1", "arith", "What is 1+1?", "2", AnswerType.NUMBER,
        new SamplingParams(0.6, 0.95, 0, 256, i == 0 ? null : 42L + i), "1 + 1 = 2", "\\boxed{2}",
        error == null ? "stop" : "error", 12, 20, 1234L, error);
  }

  @Test
  void promptsRoundTrip() throws Exception {
    roundTrip(Codecs.PROMPT, List.of(
        new Prompt("p1", "math500", "Find $x$.", "\\frac{1}{2}", AnswerType.MATH, "sol", Map.of("level", "3")),
        new Prompt("p2", "gsm8k", "How many?", null, AnswerType.NUMBER, null, Map.of())));
  }

  @Test
  void tracesVerdictsEvalAndSftRoundTrip() throws Exception {
    roundTrip(Codecs.TRACE, List.of(trace("a", 0, null), trace("a", 1, "HTTP 503 after 5 attempts")));
    roundTrip(Codecs.VERDICT, List.of(new Verdict(trace("a", 0, null), true, "2", List.of()),
        new Verdict(trace("b", 1, null), false, "3", List.of("incorrect", "too_long"))));
    roundTrip(Codecs.EVAL_SAMPLE, List.of(new EvalSample("student", "arith", "p1", 3, "<think>x</think> \\boxed{4}", "4", true, 17, "stop", "4"),
        new EvalSample("teacher", "arith", "p1", 0, "cut", null, false, 256, "length", "4")));
    roundTrip(Codecs.SFT, List.of(SftExample.of("p", 0, "arith", "What is 1+1?", "1 + 1 = 2", "\\boxed{2}")));
  }

  @Test
  void verdictAcceptedFollowsReasons() {
    assertTrue(new Verdict(trace("a", 0, null), true, "2", List.of()).accepted());
    assertFalse(new Verdict(trace("a", 0, null), true, "2", List.of("duplicate")).accepted());
  }

  @Test
  void completionFormatSplitsBack() {
    Trace t = trace("a", 0, null);
    var parts = dev.retort.core.data.Completions.split(t.completion());
    assertEquals(t.reasoning(), parts.reasoning());
    assertEquals(t.answer(), parts.answer());
    // R1 output without the opening tag (the template emitted it).
    var r1 = dev.retort.core.data.Completions.split("step one\n</think>\n\nso \\boxed{5}");
    assertEquals("step one", r1.reasoning());
    assertEquals("so \\boxed{5}", r1.answer());
    var open = dev.retort.core.data.Completions.split("<think>\nstill thinking");
    assertTrue(open.unclosed());
    assertFalse(open.hasReasoning());
  }
}
