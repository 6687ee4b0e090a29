package dev.retort.core.datasets;

import dev.retort.core.config.RetortConfig;

/**
 * The {@code arith} section: the task family's difficulty and the sizes of its splits.
 *
 * @param trainSize problems in the train split (teacher bootstrap and distillation prompts)
 * @param testSize problems in the held-out benchmark split
 */
public record ArithSettings(int minSteps, int maxSteps, int maxOperand, int maxFactor, int maxValue,
    int testPercent, int trainSize, int testSize) {
  public static final String SECTION = "arith";

  public Arith.Spec spec() {
    return new Arith.Spec(minSteps, maxSteps, maxOperand, maxFactor, maxValue, testPercent);
  }

  public static ArithSettings from(RetortConfig config) {
    ArithSettings s = config.section(SECTION, ArithSettings.class);
    s.spec(); // validates ranges up front
    return s;
  }
}
