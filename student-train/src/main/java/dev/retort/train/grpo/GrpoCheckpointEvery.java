package dev.retort.train.grpo;

import dev.retort.train.TrainControl;

/** Asks the loop for a resumable checkpoint every {@code every} steps (the final one is always written). */
public final class GrpoCheckpointEvery implements GrpoListener {
  private final int every;

  public GrpoCheckpointEvery(int every) {
    if (every < 1) {
      throw new IllegalArgumentException("checkpoint interval must be at least 1, got " + every);
    }
    this.every = every;
  }

  @Override
  public void onStep(GrpoStepMetrics m, TrainControl control) {
    if (m.step() % every == 0 && m.step() < m.totalSteps()) {
      control.checkpoint();
    }
  }
}
