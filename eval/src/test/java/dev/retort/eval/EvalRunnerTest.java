package dev.retort.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.data.AnswerType;
import dev.retort.core.data.EvalSample;
import dev.retort.core.data.Prompt;
import dev.retort.core.io.ParquetIO;
import dev.retort.core.run.StageOutput;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalRunnerTest {
  @TempDir Path tmp;

  /**
   * A deterministic stand-in for a model: answers the number in the prompt plus (seed mod 3), so
   * about a third of the samples are right and every sample is a pure function of its seed.
   * Counts every request, fails as a whole after {@code callsBeforeCrash} calls, and fails single
   * requests that {@code flaky} selects.
   */
  static final class FakeModel implements ModelUnderTest {
    final AtomicInteger calls = new AtomicInteger();
    final List<String> asked = new ArrayList<>();
    final int callsBeforeCrash;
    final Predicate<String> flaky;

    FakeModel(int callsBeforeCrash, Predicate<String> flaky) {
      this.callsBeforeCrash = callsBeforeCrash;
      this.flaky = flaky;
    }

    static FakeModel healthy() {
      return new FakeModel(Integer.MAX_VALUE, id -> false);
    }

    @Override
    public String identity() {
      return "fake:v1";
    }

    @Override
    public List<Response> generate(List<Request> requests) {
      if (calls.incrementAndGet() > callsBeforeCrash) {
        throw new IllegalStateException("simulated crash of the model");
      }
      List<Response> out = new ArrayList<>();
      for (Request r : requests) {
        asked.add(r.id());
        if (flaky.test(r.id())) {
          out.add(Response.failed("simulated 503"));
          continue;
        }
        int n = Integer.parseInt(r.userText().replaceAll("\\D+", ""));
        long answer = n + Math.floorMod(r.seed(), 3);
        String text = "<think>\nadding\n</think>\n\nThe answer is \\boxed{" + answer + "}.";
        out.add(new Response(text, text.length(), "stop", null));
      }
      return out;
    }

    @Override
    public void close() {}
  }

  static Benchmark bench(int problems, int k, double temperature) {
    List<Prompt> ps = new ArrayList<>();
    for (int i = 0; i < problems; i++) {
      ps.add(new Prompt("q" + i, "toy", "What is " + (10 + i) + "?", Integer.toString(10 + i), AnswerType.NUMBER, null, Map.of()));
    }
    return Benchmark.of("toy", new EvalSettings.Protocol("plain", temperature, 0.95, 0, k, 64, 0), ps);
  }

  private EvalRunner runner(Path dir, Benchmark b) {
    return new EvalRunner("fake", "student", "fake:v1", b, 42, dir);
  }

  private static Map<String, String> responses(List<EvalSample> samples) {
    Map<String, String> m = new TreeMap<>();
    samples.forEach(s -> m.put(s.problemId() + "#" + s.sampleIndex(), s.response()));
    return m;
  }

  @Test
  void aCrashMidRunKeepsCompletedChunksAndARerunDoesOnlyTheRest() {
    Benchmark b = bench(5, 4, 0.6); // 20 samples, chunks of 3 -> 7 chunks
    Path dir = tmp.resolve("eval/fake/toy");
    EvalRunner r1 = runner(dir, b);
    List<WorkItem> pending = r1.prepare();
    assertEquals(20, pending.size());
    FakeModel crashing = new FakeModel(2, id -> false);
    assertThrows(IllegalStateException.class, () -> r1.run(pending, crashing, 3));
    assertEquals(2, ParquetIO.files(dir).size(), "two chunks were written before the crash");
    assertEquals(6, r1.samples().size());
    assertFalse(r1.finish(Map.of()).complete());
    assertFalse(StageOutput.isComplete(dir, null));

    EvalRunner r2 = runner(dir, b);
    List<WorkItem> rest = r2.prepare();
    assertEquals(14, rest.size());
    FakeModel healthy = FakeModel.healthy();
    assertEquals(0, r2.run(rest, healthy, 3));
    assertEquals(14, healthy.asked.size(), "only the missing samples are asked for");
    assertEquals(Set.copyOf(healthy.asked).size(), healthy.asked.size());
    ModelResult result = r2.finish(Map.of());
    assertTrue(result.complete());
    assertTrue(r2.isComplete());
    assertEquals(20, result.samples());

    // The resumed run holds exactly what an uninterrupted run produces (per-sample seeds).
    Path clean = tmp.resolve("clean/fake/toy");
    EvalRunner r3 = runner(clean, b);
    r3.run(r3.prepare(), FakeModel.healthy(), 7);
    assertEquals(responses(r3.samples()), responses(r2.samples()));
    assertEquals(r3.finish(Map.of()).metrics().pass(1).mean(), result.metrics().pass(1).mean(), 0.0);

    // A third run finds nothing to do.
    assertTrue(runner(dir, b).isComplete());
    assertTrue(runner(dir, b).prepare().isEmpty());
  }

  @Test
  void failedRequestsAreNotSavedAndARerunAsksForThemAgain() {
    Benchmark b = bench(3, 2, 0.6);
    Path dir = tmp.resolve("eval/fake/toy");
    EvalRunner r1 = runner(dir, b);
    FakeModel flaky = new FakeModel(Integer.MAX_VALUE, id -> id.equals("q1#1") || id.equals("q2#0"));
    assertEquals(2, r1.run(r1.prepare(), flaky, 4));
    ModelResult partial = r1.finish(Map.of());
    assertFalse(partial.complete());
    assertEquals(4, partial.samples());
    assertEquals(1, partial.metrics().problems(), "metrics so far cover only problems with all k samples");

    EvalRunner r2 = runner(dir, b);
    List<WorkItem> rest = r2.prepare();
    assertEquals(List.of("q1#1", "q2#0"), rest.stream().map(WorkItem::key).toList());
    r2.run(rest, FakeModel.healthy(), 4);
    assertTrue(r2.finish(Map.of()).complete());
  }

  @Test
  void aChunkInWhichEveryRequestFailsStopsTheRun() {
    Benchmark b = bench(2, 2, 0.6);
    EvalRunner r = runner(tmp.resolve("e"), b);
    FakeModel down = new FakeModel(Integer.MAX_VALUE, id -> true);
    EvalRunner.ModelFailure e = assertThrows(EvalRunner.ModelFailure.class,
        () -> r.run(r.prepare(), down, 2));
    assertTrue(e.getMessage().contains("simulated 503"), e.getMessage());
    assertEquals(2, down.asked.size(), "stopped after the first chunk");
  }

  @Test
  void anotherProtocolDiscardsSamplesButRaisingKReusesThem() throws Exception {
    Path dir = tmp.resolve("eval/fake/toy");
    EvalRunner k2 = runner(dir, bench(3, 2, 0.6));
    k2.run(k2.prepare(), FakeModel.healthy(), 4);
    assertTrue(k2.finish(Map.of()).complete());
    Map<String, String> before = responses(k2.samples());

    // k=4 with the same protocol: samples 0 and 1 are reused, only 2 and 3 are drawn.
    EvalRunner k4 = runner(dir, bench(3, 4, 0.6));
    assertFalse(k4.isComplete(), "_SUCCESS of k=2 does not count for k=4");
    List<WorkItem> more = k4.prepare();
    assertEquals(6, more.size());
    assertTrue(more.stream().allMatch(w -> w.sampleIndex() >= 2));
    k4.run(more, FakeModel.healthy(), 4);
    ModelResult r = k4.finish(Map.of());
    assertTrue(r.complete());
    Map<String, String> after = responses(k4.samples());
    before.forEach((key, text) -> assertEquals(text, after.get(key)));
    assertTrue(Files.isRegularFile(dir.resolve("stats.json")));

    // Another temperature: every old sample is discarded.
    EvalRunner hot = runner(dir, bench(3, 4, 1.0));
    assertEquals(12, hot.prepare().size());
    assertTrue(ParquetIO.files(dir).isEmpty());
  }

  @Test
  void sampleSeedsDependOnlyOnSeedBenchmarkProblemAndIndex() {
    long a = EvalRunner.sampleSeed(42, "math500", "p1", 0);
    assertEquals(a, EvalRunner.sampleSeed(42, "math500", "p1", 0));
    assertTrue(a >= 0);
    assertFalse(a == EvalRunner.sampleSeed(42, "math500", "p1", 1));
    assertFalse(a == EvalRunner.sampleSeed(43, "math500", "p1", 0));
    assertFalse(a == EvalRunner.sampleSeed(42, "gsm8k", "p1", 0));
  }
}
