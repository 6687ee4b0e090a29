package dev.retort.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.retort.core.config.RetortConfig;
import dev.retort.core.data.Prompt;
import dev.retort.core.datasets.Arith;
import dev.retort.core.datasets.ArithSettings;
import dev.retort.core.datasets.PromptReaders;
import dev.retort.filter.decontam.DecontamBenchmark;
import dev.retort.filter.decontam.BenchmarkSources;
import dev.retort.filter.decontam.Decontaminator;
import dev.retort.filter.text.Tokens;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DecontaminatorTest {
  private static final String BENCH = "Let $f(x) = 3x^2 - 5$. What is the value of $f(f(1))$ when computed exactly by hand?";

  @Test
  void sharedNgramContaminatesAndShorterOverlapDoesNot() {
    Decontaminator d = new Decontaminator(List.of(new DecontamBenchmark("math500", List.of(BENCH))), 8);
    List<String> w = Tokens.words(BENCH);
    // Exactly n consecutive benchmark words inside an unrelated prompt: contaminated.
    String eight = String.join(" ", w.subList(3, 3 + 8));
    assertEquals(Optional.of("math500"), d.contaminatedBy("Consider this: " + eight.toUpperCase() + ", then stop."));
    // n - 1 words: not.
    String seven = String.join(" ", w.subList(3, 3 + 7));
    assertEquals(Optional.empty(), d.contaminatedBy("Consider this: " + seven + " and nothing else here."));
    assertEquals(Optional.empty(), d.contaminatedBy("A completely different problem about triangles and their areas."));
  }

  @Test
  void shortBenchmarkProblemsMatchOnlyWholeText() {
    Decontaminator d = new Decontaminator(List.of(new DecontamBenchmark("tiny", List.of("Compute 7 choose 3."))), 10);
    assertEquals(Optional.of("tiny"), d.contaminatedBy("compute 7 CHOOSE 3"));
    assertEquals(Optional.empty(), d.contaminatedBy("Compute 7 choose 3 and then add the number of ways to pick 2 of 5."));
  }

  @Test
  void firstBenchmarkInOrderNamesASharedNgram() {
    Decontaminator d = new Decontaminator(List.of(new DecontamBenchmark("a", List.of(BENCH)), new DecontamBenchmark("b", List.of(BENCH))), 10);
    assertEquals(Optional.of("a"), d.contaminatedBy(BENCH));
  }

  @Test
  void arithTestSplitMatchesWholeProblemsAndSparesTrainProblems() {
    RetortConfig config = RetortConfig.defaults();
    ArithSettings arith = ArithSettings.from(config);
    DecontamBenchmark test = BenchmarkSources.arithTest(arith, 42);
    assertEquals(arith.testSize(), test.problems().size());
    Decontaminator d = new Decontaminator(List.of(test), 10);
    for (String p : test.problems().subList(0, 10)) {
      assertEquals(Optional.of(BenchmarkSources.ARITH_TEST), d.contaminatedBy(p));
    }
    // Train and test share no problem by construction, while their templates share n-grams.
    List<Prompt> train = Arith.generate(arith.spec(), 42, 500, Arith.Split.TRAIN);
    long hits = train.stream().filter(p -> d.contaminatedBy(p.problem()).isPresent()).count();
    assertEquals(0, hits);
    Decontaminator ngram = new Decontaminator(List.of(new DecontamBenchmark("x", test.problems())), 10);
    long ngramHits = train.stream().filter(p -> ngram.contaminatedBy(p.problem()).isPresent()).count();
    assertTrue(ngramHits > 0, "the template alone makes n-gram matching flag train problems");
  }

  @Test
  void realBenchmarksCatchTheirOwnProblemsAndPassArith() {
    Path dir = TestTraces.sharedBenchmarks();
    assumeTrue(dir != null, "shared benchmarks absent (../shared/data/benchmarks): skipping");
    FilterSettings s = FilterSettings.from(RetortConfig.defaults(
        "filter.decontamination.benchmark-dir=\"" + dir.toAbsolutePath() + "\"", "filter.decontamination.arith-test=false"));
    List<DecontamBenchmark> benches = BenchmarkSources.load(s.decontamination(), ArithSettings.from(RetortConfig.defaults()), 42);
    assertEquals(List.of("aime24", "gsm8k_test", "math500"), benches.stream().map(DecontamBenchmark::name).toList());
    Decontaminator d = new Decontaminator(benches, 10);
    Prompt m = PromptReaders.read(dir.resolve("math500.jsonl")).prompts().get(7);
    // Rephrase the start: the shared middle still gives it away.
    String words = String.join(" ", Tokens.words(m.problem()));
    assumeTrue(Tokens.words(m.problem()).size() >= 14, "problem long enough");
    assertEquals(Optional.of("math500"), d.contaminatedBy("Here is a question. " + words.substring(words.indexOf(' ') + 1)));
    Prompt g = PromptReaders.read(dir.resolve("gsm8k_test.jsonl")).prompts().get(3);
    assertEquals(Optional.of("gsm8k_test"), d.contaminatedBy(g.problem()));
    for (Prompt p : Arith.generate(Arith.Spec.defaults(), 7, 300, Arith.Split.TRAIN)) {
      assertEquals(Optional.empty(), d.contaminatedBy(p.problem()), p.problem());
    }
  }
}
