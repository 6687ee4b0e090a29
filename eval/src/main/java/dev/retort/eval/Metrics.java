package dev.retort.eval;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Benchmark metrics as pure functions (docs/eval.md has the formulas).
 *
 * <p>Design choices, each one a place where published numbers have gone wrong:
 * <ul>
 *   <li>Every metric is computed per problem first and then averaged over problems with equal
 *       weight. Averaging over samples instead lets problems with more samples weigh more, and
 *       is how pass@1 came to fall as the number of samples grew.
 *   <li>pass@k is Chen et al.'s unbiased estimator over all n samples of a problem,
 *       1 - C(n-c, k)/C(n, k), evaluated as the product 1 - prod_{i=n-c+1}^{n} (1 - k/i), which
 *       never forms a binomial coefficient (those overflow doubles near n = 1030). When n-c < k
 *       every k-subset holds a correct sample and the value is exactly 1.
 *   <li>maj@k votes over the k samples with the lowest sample indices (not an average over
 *       subsets): it is what a user who drew k samples would see, and it is deterministic.
 *       Answers are grouped by {@link AnswerGrouping}; samples without an answer do not vote,
 *       so "no answer" never wins. Ties go to the group whose first vote came earliest (lowest
 *       sample index), the same answer Python's {@code Counter.most_common(1)} returns for
 *       answers listed in sample order. The vote is correct when the winning group's earliest
 *       sample was judged correct.
 *   <li>A problem with fewer samples than some requested k is an error that names the problem:
 *       silently skipping it would change the problem set between k values.
 * </ul>
 */
public final class Metrics {
  private Metrics() {}

  /**
   * The unbiased pass@k estimator: the probability that at least one of k samples drawn without
   * replacement from n samples, c of them correct, is correct.
   *
   * @throws IllegalArgumentException unless 0 <= c <= n and 1 <= k <= n
   */
  public static double passAtK(int n, int c, int k) {
    if (k < 1 || k > n) {
      throw new IllegalArgumentException("pass@k needs 1 <= k <= n, got k=" + k + ", n=" + n);
    }
    if (c < 0 || c > n) {
      throw new IllegalArgumentException("pass@k needs 0 <= c <= n, got c=" + c + ", n=" + n);
    }
    if (n - c < k) {
      return 1.0;
    }
    // C(n-c,k)/C(n,k) = prod_{i=n-c+1}^{n} (1 - k/i): each factor lies in [0, 1).
    double fail = 1.0;
    for (int i = n - c + 1; i <= n; i++) {
      fail *= 1.0 - (double) k / i;
    }
    return 1.0 - fail;
  }

  /**
   * The outcome of a majority vote.
   *
   * @param answer the winning answer as first written (null when no sample had an answer)
   * @param votes how many of the k samples voted for it
   * @param correct whether the vote counts as solved
   * @param groups how many distinct answers received votes
   * @param consistent false when the winning group holds both correct and incorrect samples
   *     (the verifier and the grouping disagree; the earliest sample decided)
   */
  public record Vote(String answer, int votes, boolean correct, int groups, boolean consistent) {}

  /**
   * Majority vote over the first k samples (by sample index) of one problem.
   *
   * @param samples the samples of one problem, in any order; sample indices must be distinct
   * @throws IllegalArgumentException when there are fewer than k samples
   */
  public static Vote majority(List<Outcome> samples, int k, AnswerGrouping grouping) {
    if (k < 1 || k > samples.size()) {
      throw new IllegalArgumentException("maj@k needs 1 <= k <= n, got k=" + k + ", n=" + samples.size());
    }
    List<Outcome> first = samples.stream().sorted(Comparator.comparingInt(Outcome::sampleIndex)).limit(k).toList();
    // Groups in order of their first vote, so index order breaks ties.
    List<List<Outcome>> groups = new ArrayList<>();
    Map<String, Integer> byKey = new HashMap<>();
    for (Outcome o : first) {
      if (!o.hasAnswer()) {
        continue;
      }
      String key = grouping.canonical(o.answer());
      Integer g = byKey.get(key);
      if (g == null) {
        for (int j = 0; j < groups.size() && g == null; j++) {
          if (grouping.equivalent(groups.get(j).get(0).answer(), o.answer())) {
            g = j;
          }
        }
        if (g == null) {
          g = groups.size();
          groups.add(new ArrayList<>());
        }
        byKey.put(key, g);
      }
      groups.get(g).add(o);
    }
    if (groups.isEmpty()) {
      return new Vote(null, 0, false, 0, true);
    }
    List<Outcome> best = groups.get(0);
    for (List<Outcome> g : groups) {
      if (g.size() > best.size()) { // strictly more: an equal count keeps the earlier group
        best = g;
      }
    }
    Outcome lead = best.get(0);
    boolean consistent = best.stream().allMatch(o -> o.correct() == lead.correct());
    return new Vote(lead.answer(), best.size(), lead.correct(), groups.size(), consistent);
  }

  /** Caches canonical keys and pairwise answers: parsing LaTeX is the expensive part of a vote. */
  static AnswerGrouping memoized(AnswerGrouping g) {
    Map<String, String> keys = new HashMap<>();
    Map<String, Boolean> pairs = new HashMap<>();
    return new AnswerGrouping() {
      @Override
      public String canonical(String answer) {
        return keys.computeIfAbsent(answer, g::canonical);
      }

      @Override
      public boolean equivalent(String a, String b) {
        return pairs.computeIfAbsent(a + "\u0000" + b, x -> g.equivalent(a, b));
      }
    };
  }

  /**
   * Groups samples by problem, each list sorted by sample index, problems in first-seen order.
   *
   * @throws IllegalArgumentException on a repeated (problem, sample index) pair
   */
  public static Map<String, List<Outcome>> byProblem(Collection<Outcome> outcomes) {
    Map<String, List<Outcome>> out = new LinkedHashMap<>();
    for (Outcome o : outcomes) {
      out.computeIfAbsent(o.problemId(), p -> new ArrayList<>()).add(o);
    }
    for (Map.Entry<String, List<Outcome>> e : out.entrySet()) {
      e.getValue().sort(Comparator.comparingInt(Outcome::sampleIndex));
      List<Outcome> l = e.getValue();
      for (int i = 1; i < l.size(); i++) {
        if (l.get(i).sampleIndex() == l.get(i - 1).sampleIndex()) {
          throw new IllegalArgumentException("problem '" + e.getKey() + "' has sample_index " + l.get(i).sampleIndex() + " twice");
        }
      }
    }
    return out;
  }

  /**
   * All metrics of one model on one benchmark.
   *
   * @param ks the k values of pass@k and maj@k; every problem needs at least max(ks) samples
   * @throws IllegalArgumentException when the input is empty or a problem has too few samples
   */
  public static MetricsSummary summarize(Collection<Outcome> outcomes, Collection<Integer> ks, AnswerGrouping grouping) {
    Map<String, List<Outcome>> problems = byProblem(outcomes);
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("no samples: nothing to compute metrics over");
    }
    TreeSet<Integer> kset = new TreeSet<>(ks);
    if (kset.isEmpty() || kset.first() < 1) {
      throw new IllegalArgumentException("k values must be >= 1, got " + ks);
    }
    int kmax = kset.last();
    List<String> shortOnes = new ArrayList<>();
    int minN = Integer.MAX_VALUE;
    int maxN = 0;
    for (Map.Entry<String, List<Outcome>> e : problems.entrySet()) {
      int n = e.getValue().size();
      minN = Math.min(minN, n);
      maxN = Math.max(maxN, n);
      if (n < kmax) {
        shortOnes.add("'" + e.getKey() + "' (" + n + ")");
      }
    }
    if (!shortOnes.isEmpty()) {
      throw new IllegalArgumentException(shortOnes.size() + " problem(s) have fewer than k=" + kmax
          + " samples: " + String.join(", ", shortOnes.subList(0, Math.min(5, shortOnes.size())))
          + (shortOnes.size() > 5 ? ", ..." : "") + "; pass@k and maj@k need at least k samples per problem");
    }
    int p = problems.size();
    AnswerGrouping memo = memoized(grouping); // every k re-votes over the same answers
    Map<Integer, double[]> pass = new TreeMap<>();
    Map<Integer, double[]> maj = new TreeMap<>();
    for (int k : kset) {
      pass.put(k, new double[p]);
      maj.put(k, new double[p]);
    }
    double[] noAnswer = new double[p];
    double[] tokens = new double[p];
    boolean tokensKnown = true;
    int inconsistent = 0;
    int samples = 0;
    int i = 0;
    for (List<Outcome> l : problems.values()) {
      int n = l.size();
      samples += n;
      int c = 0;
      int none = 0;
      long tok = 0;
      for (Outcome o : l) {
        c += o.correct() ? 1 : 0;
        none += o.hasAnswer() ? 0 : 1;
        if (o.completionTokens() == null) {
          tokensKnown = false;
        } else {
          tok += o.completionTokens();
        }
      }
      for (int k : kset) {
        pass.get(k)[i] = passAtK(n, c, k);
        Vote v = majority(l, k, memo);
        maj.get(k)[i] = v.correct() ? 1 : 0;
        if (k == kmax && !v.consistent()) {
          inconsistent++;
        }
      }
      noAnswer[i] = (double) none / n;
      tokens[i] = (double) tok / n;
      i++;
    }
    Map<Integer, Estimate> passE = new TreeMap<>();
    Map<Integer, Estimate> majE = new TreeMap<>();
    pass.forEach((k, v) -> passE.put(k, Estimate.of(v)));
    maj.forEach((k, v) -> majE.put(k, Estimate.of(v)));
    return new MetricsSummary(p, samples, minN, maxN, passE, majE, Estimate.of(noAnswer),
        tokensKnown ? Estimate.of(tokens) : null, inconsistent);
  }
}
