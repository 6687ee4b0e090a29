package dev.retort.train.grpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.train.grpo.GrpoSettings.Variant;
import org.junit.jupiter.api.Test;

class AdvantagesTest {
  @Test
  void equalRewardsInAGroupGiveZeroAdvantages() {
    double[] rewards = {1, 1, 1, 1, 0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5};
    for (Variant v : Variant.values()) {
      double[] a = Advantages.compute(rewards, 4, v);
      for (double x : a) {
        assertEquals(0.0, x, 0.0, v + " must give exactly 0 for a group without signal");
      }
    }
  }

  @Test
  void grpoStandardizesWithinEachGroup() {
    double[] rewards = {1, 0, 0, 1, 0, 0, 0, 1};
    double[] a = Advantages.compute(rewards, 4, Variant.GRPO);
    for (int g = 0; g < 2; g++) {
      double mean = 0;
      for (int i = 0; i < 4; i++) {
        mean += rewards[g * 4 + i] / 4;
      }
      double ss = 0;
      for (int i = 0; i < 4; i++) {
        ss += Math.pow(rewards[g * 4 + i] - mean, 2);
      }
      double std = Math.sqrt(ss / 3);
      double sum = 0;
      for (int i = 0; i < 4; i++) {
        assertEquals((rewards[g * 4 + i] - mean) / (std + Advantages.STD_EPS), a[g * 4 + i], 1e-12);
        sum += a[g * 4 + i];
      }
      assertEquals(0, sum, 1e-9, "advantages of a group sum to zero");
    }
    assertTrue(a[0] > 0 && a[1] < 0, "the correct completion is above average");
  }

  @Test
  void drGrpoOnlyCentres() {
    double[] rewards = {1, 0, 0, 0, 1.1, 1, 0, 0};
    double[] a = Advantages.compute(rewards, 4, Variant.DR_GRPO);
    assertEquals(0.75, a[0], 1e-12);
    assertEquals(-0.25, a[1], 1e-12);
    assertEquals(1.1 - 2.1 / 4, a[4], 1e-12);
    assertEquals(-2.1 / 4, a[7], 1e-12);
  }

  @Test
  void rewardsMustFormWholeGroups() {
    assertThrows(IllegalArgumentException.class, () -> Advantages.compute(new double[5], 4, Variant.GRPO));
  }
}
