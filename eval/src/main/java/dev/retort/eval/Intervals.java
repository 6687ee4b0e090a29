package dev.retort.eval;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.apache.commons.math3.distribution.TDistribution;

/**
 * Intervals for comparing training arms: a Student-t interval of a mean across seeds, and a
 * paired bootstrap over problems of the difference between two arms (both arms answered the same
 * problems, so resampling problems keeps each problem's pair together and the problem-to-problem
 * spread out of the difference).
 */
public final class Intervals {
  private Intervals() {}

  /**
   * A mean with its interval.
   *
   * @param mean the estimate
   * @param low lower end of the interval
   * @param high upper end
   * @param stderr standard error of the mean (NaN from a single value)
   * @param n values behind it
   */
  public record Interval(double mean, double low, double high, double stderr, int n) {
    public double halfWidth() {
      return (high - low) / 2;
    }
  }

  /**
   * The Student-t interval of the mean of {@code values} at {@code confidence} (n - 1 degrees of
   * freedom); a single value gives an interval of NaN width.
   *
   * @throws IllegalArgumentException when {@code values} is empty or confidence is not in (0, 1)
   */
  public static Interval mean(double[] values, double confidence) {
    checkConfidence(confidence);
    int n = values.length;
    if (n == 0) {
      throw new IllegalArgumentException("no values to average");
    }
    double mean = Arrays.stream(values).average().orElseThrow();
    if (n == 1) {
      return new Interval(mean, Double.NaN, Double.NaN, Double.NaN, 1);
    }
    double ss = 0;
    for (double v : values) {
      ss += (v - mean) * (v - mean);
    }
    double se = Math.sqrt(ss / (n - 1) / n);
    double t = new TDistribution(n - 1).inverseCumulativeProbability(1 - (1 - confidence) / 2);
    return new Interval(mean, mean - t * se, mean + t * se, se, n);
  }

  /**
   * Paired bootstrap of mean(a - b) over problems: {@code resamples} draws of the problems with
   * replacement (seeded, so a rerun gives the same interval), percentile interval at
   * {@code confidence}. {@code a[i]} and {@code b[i]} are the two arms' scores on problem i.
   *
   * @throws IllegalArgumentException when the arrays differ in length or are empty
   */
  public static Interval pairedBootstrap(double[] a, double[] b, int resamples, double confidence, long seed) {
    checkConfidence(confidence);
    if (a.length != b.length || a.length == 0) {
      throw new IllegalArgumentException("paired scores need the same non-zero number of problems, got " + a.length
          + " and " + b.length);
    }
    if (resamples < 100) {
      throw new IllegalArgumentException("at least 100 bootstrap resamples, got " + resamples);
    }
    int n = a.length;
    double[] d = new double[n];
    double mean = 0;
    for (int i = 0; i < n; i++) {
      d[i] = a[i] - b[i];
      mean += d[i];
    }
    mean /= n;
    double[] means = new double[resamples];
    SplittableRandom r = new SplittableRandom(seed);
    for (int s = 0; s < resamples; s++) {
      double sum = 0;
      for (int i = 0; i < n; i++) {
        sum += d[r.nextInt(n)];
      }
      means[s] = sum / n;
    }
    Arrays.sort(means);
    double tail = (1 - confidence) / 2;
    double low = means[(int) Math.floor(tail * (resamples - 1))];
    double high = means[(int) Math.ceil((1 - tail) * (resamples - 1))];
    double var = 0;
    for (double m : means) {
      var += (m - mean) * (m - mean);
    }
    return new Interval(mean, low, high, Math.sqrt(var / (resamples - 1)), n);
  }

  private static void checkConfidence(double confidence) {
    if (!(confidence > 0 && confidence < 1)) {
      throw new IllegalArgumentException("confidence must be in (0, 1), got " + confidence);
    }
  }
}
