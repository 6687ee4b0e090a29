package dev.retort.train.grpo;

/**
 * Group-relative advantages: each completion is compared with the other completions of its own
 * prompt, so no value network is needed (DeepSeekMath's GRPO). A group whose rewards are all
 * equal carries no signal and gets zero advantages under both variants.
 */
public final class Advantages {
  /** Added to the group std (as TRL does), so a near-constant group does not blow up. */
  public static final double STD_EPS = 1e-4;

  private Advantages() {}

  /**
   * Advantages for {@code rewards} laid out as consecutive groups of {@code groupSize}.
   * GRPO: {@code (r - mean) / (std + 1e-4)} with the sample (n-1) standard deviation;
   * Dr. GRPO: {@code r - mean} (no std scaling, which would up-weight easy and hard prompts).
   *
   * @throws IllegalArgumentException when the rewards do not split into whole groups
   */
  public static double[] compute(double[] rewards, int groupSize, GrpoSettings.Variant variant) {
    if (groupSize < 1 || rewards.length % groupSize != 0) {
      throw new IllegalArgumentException(rewards.length + " rewards do not form groups of " + groupSize);
    }
    double[] out = new double[rewards.length];
    for (int g = 0; g < rewards.length; g += groupSize) {
      double mean = 0;
      for (int i = g; i < g + groupSize; i++) {
        mean += rewards[i];
      }
      mean /= groupSize;
      boolean allEqual = true;
      double ss = 0;
      for (int i = g; i < g + groupSize; i++) {
        allEqual &= rewards[i] == rewards[g];
        ss += (rewards[i] - mean) * (rewards[i] - mean);
      }
      if (allEqual) {
        continue; // exact zeros, not rounding noise: such sequences can be skipped when kl-coef is 0
      }
      double std = groupSize > 1 ? Math.sqrt(ss / (groupSize - 1)) : 0;
      for (int i = g; i < g + groupSize; i++) {
        double a = rewards[i] - mean;
        out[i] = variant == GrpoSettings.Variant.GRPO ? a / (std + STD_EPS) : a;
      }
    }
    return out;
  }
}
