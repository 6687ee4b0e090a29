package dev.retort.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MetricsTest {

  /** C(n, k) exactly, for the reference definition 1 - C(n-c,k)/C(n,k). */
  private static BigInteger binom(int n, int k) {
    if (k < 0 || k > n) {
      return BigInteger.ZERO;
    }
    BigInteger r = BigInteger.ONE;
    for (int i = 1; i <= k; i++) {
      r = r.multiply(BigInteger.valueOf(n - k + i)).divide(BigInteger.valueOf(i));
    }
    return r;
  }

  private static double passAtKExact(int n, int c, int k) {
    java.math.BigDecimal fail = new java.math.BigDecimal(binom(n - c, k))
        .divide(new java.math.BigDecimal(binom(n, k)), java.math.MathContext.DECIMAL128);
    return 1.0 - fail.doubleValue();
  }

  @Test
  void passAtKMatchesHandComputedValues() {
    // n=5, c=2: k=1 -> c/n = 2/5; k=2 -> 1 - C(3,2)/C(5,2) = 1 - 3/10; k=3 -> 1 - C(3,3)/C(5,3) = 1 - 1/10.
    assertEquals(2.0 / 5, Metrics.passAtK(5, 2, 1), 1e-15);
    assertEquals(1.0 - 3.0 / 10, Metrics.passAtK(5, 2, 2), 1e-15);
    assertEquals(1.0 - 1.0 / 10, Metrics.passAtK(5, 2, 3), 1e-15);
    // n-c = 3 < k = 4: every 4-subset holds a correct sample.
    assertEquals(1.0, Metrics.passAtK(5, 2, 4));
    assertEquals(1.0, Metrics.passAtK(5, 2, 5));
    assertEquals(1.0, Metrics.passAtK(4, 4, 1));
    // No correct sample: 0 for every k.
    assertEquals(0.0, Metrics.passAtK(8, 0, 1));
    assertEquals(0.0, Metrics.passAtK(8, 0, 8));
    // n=8, c=1, k=4: 1 - C(7,4)/C(8,4) = 1 - 35/70 = 1/2 (one correct sample is in half of the 4-subsets).
    assertEquals(0.5, Metrics.passAtK(8, 1, 4), 1e-15);
  }

  @Test
  void passAtKAgreesWithExactBinomialsAndStaysStableForLargeN() {
    Random rnd = new Random(7);
    for (int t = 0; t < 300; t++) {
      int n = 1 + rnd.nextInt(64);
      int c = rnd.nextInt(n + 1);
      int k = 1 + rnd.nextInt(n);
      assertEquals(passAtKExact(n, c, k), Metrics.passAtK(n, c, k), 1e-12, "n=" + n + " c=" + c + " k=" + k);
    }
    // C(2000, 100) overflows a double; the product form does not.
    double v = Metrics.passAtK(2000, 3, 100);
    assertEquals(passAtKExact(2000, 3, 100), v, 1e-12);
    assertTrue(v > 0 && v < 1);
  }

  @Test
  void passAtKRejectsImpossibleArguments() {
    assertThrows(IllegalArgumentException.class, () -> Metrics.passAtK(4, 2, 5));
    assertThrows(IllegalArgumentException.class, () -> Metrics.passAtK(4, 5, 1));
    assertThrows(IllegalArgumentException.class, () -> Metrics.passAtK(4, 1, 0));
  }

  private static List<Outcome> problem(String id, String... answers) {
    List<Outcome> out = new ArrayList<>();
    for (int i = 0; i < answers.length; i++) {
      String a = answers[i];
      out.add(new Outcome(id, i, a, a != null && a.equals("0.5"), 10));
    }
    return out;
  }

  @Test
  void majorityGroupsEquivalentAnswersWrittenDifferently() {
    // Three ways of writing one half against two votes for 2: the half wins only if they are one group.
    List<Outcome> s = List.of(
        new Outcome("p", 0, "2", false, null),
        new Outcome("p", 1, "1/2", true, null),
        new Outcome("p", 2, "2", false, null),
        new Outcome("p", 3, "0.5", true, null),
        new Outcome("p", 4, "\\frac{1}{2}", true, null));
    Metrics.Vote v = Metrics.majority(s, 5, AnswerGrouping.EQUIVALENT);
    assertEquals(3, v.votes());
    assertEquals("1/2", v.answer(), "the group is named by its earliest answer");
    assertTrue(v.correct());
    assertEquals(2, v.groups());
    // Grouping by exact strings, as a plain counter would, gets it wrong: "2" has the most votes.
    Metrics.Vote exact = Metrics.majority(s, 5, AnswerGrouping.EXACT);
    assertEquals("2", exact.answer());
    assertFalse(exact.correct());
  }

  @Test
  void majorityTiesGoToTheAnswerSeenFirstAndNoAnswerNeverWins() {
    // 4 then 3, one vote each: the earlier one (sample 0) wins, whatever the order in the input list.
    List<Outcome> tie = List.of(new Outcome("p", 1, "3", true, null), new Outcome("p", 0, "4", false, null));
    Metrics.Vote v = Metrics.majority(tie, 2, AnswerGrouping.EXACT);
    assertEquals("4", v.answer());
    assertFalse(v.correct());
    // Three empty answers do not outvote one real answer.
    List<Outcome> blanks = List.of(new Outcome("p", 0, null, false, null), new Outcome("p", 1, "", false, null),
        new Outcome("p", 2, "  ", false, null), new Outcome("p", 3, "7", true, null));
    Metrics.Vote b = Metrics.majority(blanks, 4, AnswerGrouping.EQUIVALENT);
    assertEquals("7", b.answer());
    assertTrue(b.correct());
    // Nothing to vote on: not solved.
    Metrics.Vote none = Metrics.majority(blanks, 3, AnswerGrouping.EQUIVALENT);
    assertNull(none.answer());
    assertFalse(none.correct());
  }

  @Test
  void majorityAtKUsesTheFirstKSamplesBySampleIndex() {
    // Samples 0,1 say 5 (wrong); samples 2..4 say 6 (right). maj@2 is wrong, maj@5 is right.
    List<Outcome> s = new ArrayList<>();
    for (int i = 4; i >= 0; i--) { // input order reversed on purpose
      s.add(new Outcome("p", i, i < 2 ? "5" : "6", i >= 2, null));
    }
    assertFalse(Metrics.majority(s, 2, AnswerGrouping.EXACT).correct());
    assertFalse(Metrics.majority(s, 4, AnswerGrouping.EXACT).correct(), "2 vs 2: the earlier answer 5 wins the tie");
    assertTrue(Metrics.majority(s, 5, AnswerGrouping.EXACT).correct());
  }

  @Test
  void pass1IsAMeanOverProblemsNotOverSamples() {
    // Problem a: 2 samples, both right. Problem b: 8 samples, all wrong. Per problem: 1 and 0.
    List<Outcome> rows = new ArrayList<>(problem("a", "0.5", "0.5"));
    rows.addAll(problem("b", "1", "1", "1", "1", "1", "1", "1", "1"));
    MetricsSummary s = Metrics.summarize(rows, List.of(1, 2), AnswerGrouping.EQUIVALENT);
    assertEquals(0.5, s.pass(1).mean(), 1e-15, "a pooled mean over samples would say 2/10");
    assertEquals(2, s.minSamples());
    assertEquals(8, s.maxSamples());
    assertEquals(10, s.samples());
  }

  @Test
  void pass1DoesNotDriftWithTheNumberOfSamples() {
    // The same per-problem accuracy measured with 4 and with 16 samples gives the same pass@1.
    List<Outcome> four = new ArrayList<>();
    List<Outcome> sixteen = new ArrayList<>();
    for (int p = 0; p < 6; p++) {
      int right = p % 5; // 0..4 of every 4 samples right
      for (int i = 0; i < 16; i++) {
        boolean ok = (i % 4) < right;
        Outcome o = new Outcome("p" + p, i, ok ? "0.5" : "9", ok, null);
        sixteen.add(o);
        if (i < 4) {
          four.add(o);
        }
      }
    }
    double p4 = Metrics.summarize(four, List.of(1), AnswerGrouping.EXACT).pass(1).mean();
    double p16 = Metrics.summarize(sixteen, List.of(1), AnswerGrouping.EXACT).pass(1).mean();
    assertEquals(p4, p16, 1e-15);
  }

  @Test
  void summaryHasStandardErrorsOverProblems() {
    // Per-problem pass@1: 1, 0.5, 0 -> mean 0.5, sample sd 0.5, se 0.5/sqrt(3).
    List<Outcome> rows = new ArrayList<>(problem("a", "0.5", "0.5"));
    rows.addAll(problem("b", "0.5", null));
    rows.addAll(problem("c", "1", null));
    MetricsSummary s = Metrics.summarize(rows, List.of(1, 2), AnswerGrouping.EQUIVALENT);
    assertEquals(0.5, s.pass(1).mean(), 1e-15);
    assertEquals(0.5 / Math.sqrt(3), s.pass(1).stderr(), 1e-15);
    // pass@2: 1, 1, 0.
    assertEquals(2.0 / 3, s.pass(2).mean(), 1e-15);
    // maj@2: a right; b: only 0.5 voted -> right; c: only 1 voted -> wrong.
    assertEquals(2.0 / 3, s.maj(2).mean(), 1e-15);
    // no-answer: 0, 1/2, 1/2.
    assertEquals(1.0 / 3, s.noAnswerRate().mean(), 1e-15);
    assertEquals(10.0, s.meanTokens().mean(), 1e-12);
    assertEquals(3, s.problems());
  }

  @Test
  void problemsWithFewerThanKSamplesAreAnErrorNamingThem() {
    List<Outcome> rows = new ArrayList<>(problem("full", "1", "2", "3", "4"));
    rows.addAll(problem("short-one", "1", "2"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Metrics.summarize(rows, List.of(1, 4), AnswerGrouping.EXACT));
    assertTrue(e.getMessage().contains("'short-one' (2)"), e.getMessage());
    // With k <= 2 every problem qualifies.
    assertEquals(2, Metrics.summarize(rows, List.of(1, 2), AnswerGrouping.EXACT).problems());
  }

  @Test
  void repeatedSampleIndexIsAnError() {
    List<Outcome> rows = List.of(new Outcome("p", 0, "1", true, null), new Outcome("p", 0, "2", false, null));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Metrics.summarize(rows, List.of(1), AnswerGrouping.EXACT));
    assertTrue(e.getMessage().contains("'p'") && e.getMessage().contains("sample_index 0"), e.getMessage());
  }

  @Test
  void jsonHasExactKeys() {
    List<Outcome> rows = new ArrayList<>(problem("a", "0.5", "1", "0.5", "1"));
    var json = Metrics.summarize(rows, List.of(1, 2, 4), AnswerGrouping.EXACT).toJson();
    for (String key : List.of("pass@1", "pass@2", "pass@4", "maj@1", "maj@2", "maj@4", "n_problems", "samples_per_problem")) {
      assertTrue(json.containsKey(key), key);
    }
    assertEquals(4, json.get("samples_per_problem"));
    assertEquals(0.5, (Double) json.get("pass@1"), 1e-15);
    assertEquals(1.0 - 1.0 / 6, (Double) json.get("pass@2"), 1e-15); // 1 - C(2,2)/C(4,2)
    assertEquals(1.0, (Double) json.get("maj@4"), 0.0); // 2 vs 2: 0.5 came first
  }
}
