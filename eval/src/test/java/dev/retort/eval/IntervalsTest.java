package dev.retort.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class IntervalsTest {
  @Test
  void studentTIntervalOfThreeSeeds() {
    Intervals.Interval i = Intervals.mean(new double[] {0.50, 0.60, 0.70}, 0.95);
    assertEquals(0.60, i.mean(), 1e-12);
    assertEquals(0.1 / Math.sqrt(3), i.stderr(), 1e-12);
    // t(0.975, 2 df) = 4.302653
    assertEquals(4.302653 * 0.1 / Math.sqrt(3), i.halfWidth(), 1e-6);
    assertEquals(3, i.n());
  }

  @Test
  void oneValueHasNoInterval() {
    Intervals.Interval i = Intervals.mean(new double[] {0.4}, 0.95);
    assertEquals(0.4, i.mean(), 1e-12);
    assertTrue(Double.isNaN(i.low()) && Double.isNaN(i.stderr()));
    assertThrows(IllegalArgumentException.class, () -> Intervals.mean(new double[0], 0.95));
    assertThrows(IllegalArgumentException.class, () -> Intervals.mean(new double[] {1, 2}, 1.0));
  }

  @Test
  void pairedBootstrapCoversAShiftAndIgnoresSharedProblemDifficulty() {
    SplittableRandom r = new SplittableRandom(5);
    int n = 400;
    double[] a = new double[n];
    double[] b = new double[n];
    for (int i = 0; i < n; i++) {
      double difficulty = r.nextDouble(); // shared by both arms: pairing removes it
      a[i] = Math.min(1, difficulty + 0.10 + 0.02 * r.nextGaussian());
      b[i] = Math.min(1, difficulty + 0.02 * r.nextGaussian());
    }
    Intervals.Interval d = Intervals.pairedBootstrap(a, b, 2000, 0.95, 1);
    assertTrue(d.low() > 0.08 && d.high() < 0.11 && d.low() < d.mean() && d.mean() < d.high(), d.toString());
    assertEquals(d, Intervals.pairedBootstrap(a, b, 2000, 0.95, 1), "seeded: a rerun gives the same interval");
    Intervals.Interval same = Intervals.pairedBootstrap(a, a, 500, 0.95, 1);
    assertEquals(0, same.low(), 0);
    assertEquals(0, same.high(), 0);
  }

  @Test
  void pairedBootstrapRejectsUnpairedInput() {
    assertThrows(IllegalArgumentException.class, () -> Intervals.pairedBootstrap(new double[3], new double[2], 1000, 0.95, 1));
    assertThrows(IllegalArgumentException.class, () -> Intervals.pairedBootstrap(new double[3], new double[3], 10, 0.95, 1));
  }
}
