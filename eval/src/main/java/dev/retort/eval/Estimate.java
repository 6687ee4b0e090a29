package dev.retort.eval;

/**
 * A mean over problems with its standard error: the sample standard deviation of the per-problem
 * values (n-1 in the denominator) divided by sqrt(number of problems). The standard error is NaN
 * for fewer than two problems: one problem says nothing about the spread.
 */
public record Estimate(double mean, double stderr, int problems) {
  public static Estimate of(double[] perProblem) {
    int n = perProblem.length;
    if (n == 0) {
      return new Estimate(Double.NaN, Double.NaN, 0);
    }
    // Two passes: the mean first, then squared deviations from it (no cancellation for 0/1 values).
    double sum = 0;
    for (double v : perProblem) {
      sum += v;
    }
    double mean = sum / n;
    if (n < 2) {
      return new Estimate(mean, Double.NaN, n);
    }
    double ss = 0;
    for (double v : perProblem) {
      ss += (v - mean) * (v - mean);
    }
    return new Estimate(mean, Math.sqrt(ss / (n - 1)) / Math.sqrt(n), n);
  }
}
