package dev.retort.train.grpo;

import dev.retort.train.StepInfo;
import dev.retort.train.TrainControl;
import dev.retort.train.TrainingListener;
import java.util.Locale;

/**
 * Ends the run once its FLOPs (sampling + reference + training) reach a budget, so the RL arm can
 * be given the compute the distillation arm used. The step that crosses the budget completes
 * (a step is indivisible), so a run overshoots by less than one step's FLOPs.
 */
public final class FlopBudget implements TrainingListener<StepInfo> {
  private final double budget;

  public FlopBudget(double budget) {
    if (!(budget > 0)) {
      throw new IllegalArgumentException("FLOP budget must be positive, got " + budget);
    }
    this.budget = budget;
  }

  @Override
  public void onStep(StepInfo m, TrainControl control) {
    if (m.flops() >= budget && m.step() < m.totalSteps()) {
      control.requestStop(String.format(Locale.ROOT, "FLOP budget reached (%.3e of %.3e)", m.flops(), budget));
    }
  }
}
