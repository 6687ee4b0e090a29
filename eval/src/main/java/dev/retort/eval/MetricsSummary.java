package dev.retort.eval;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The metrics of one model on one benchmark; every {@link Estimate} is a mean over problems.
 *
 * @param problems number of problems
 * @param samples number of samples over all problems
 * @param minSamples fewest samples of any problem
 * @param maxSamples most samples of any problem
 * @param passAtK k to pass@k (pass@1 is the mean over samples of each problem's accuracy)
 * @param majAtK k to maj@k (majority vote over the first k samples)
 * @param noAnswerRate share of samples with no extracted answer
 * @param meanTokens mean response length in tokens, null when the input had no lengths
 * @param inconsistentVotes problems whose winning vote group at the largest k mixed correct and
 *     incorrect samples (a sign that the verifier and the answer grouping disagree)
 */
public record MetricsSummary(int problems, int samples, int minSamples, int maxSamples,
    Map<Integer, Estimate> passAtK, Map<Integer, Estimate> majAtK, Estimate noAnswerRate,
    Estimate meanTokens, int inconsistentVotes) {

  public Estimate pass(int k) {
    Estimate e = passAtK.get(k);
    if (e == null) {
      throw new IllegalArgumentException("pass@" + k + " was not computed (have " + passAtK.keySet() + ")");
    }
    return e;
  }

  public Estimate maj(int k) {
    Estimate e = majAtK.get(k);
    if (e == null) {
      throw new IllegalArgumentException("maj@" + k + " was not computed (have " + majAtK.keySet() + ")");
    }
    return e;
  }

  /**
   * The JSON view printed by {@code retort eval metrics} and stored in stats.json: flat keys
   * {@code "pass@K"} and {@code "maj@K"} with the means, standard errors under {@code "stderr"}.
   * NaN (the standard error of a single problem) is written as null.
   */
  public Map<String, Object> toJson() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("n_problems", problems);
    out.put("samples_per_problem", minSamples == maxSamples ? (Object) minSamples : Map.of("min", minSamples, "max", maxSamples));
    out.put("n_samples", samples);
    Map<String, Object> se = new LinkedHashMap<>();
    passAtK.forEach((k, e) -> {
      out.put("pass@" + k, num(e.mean()));
      se.put("pass@" + k, num(e.stderr()));
    });
    majAtK.forEach((k, e) -> {
      out.put("maj@" + k, num(e.mean()));
      se.put("maj@" + k, num(e.stderr()));
    });
    out.put("no_answer_rate", num(noAnswerRate.mean()));
    se.put("no_answer_rate", num(noAnswerRate.stderr()));
    if (meanTokens != null) {
      out.put("mean_response_tokens", num(meanTokens.mean()));
      se.put("mean_response_tokens", num(meanTokens.stderr()));
    }
    out.put("stderr", se);
    out.put("inconsistent_votes", inconsistentVotes);
    return out;
  }

  private static Double num(double v) {
    return Double.isFinite(v) ? v : null;
  }
}
