package dev.retort.train;

/**
 * Asks the loop for a resumable checkpoint every {@code every} steps (the loop writes the final
 * one itself).
 */
public final class CheckpointEvery implements TrainingListener<StepInfo> {
  private final int every;

  public CheckpointEvery(int every) {
    if (every < 1) {
      throw new IllegalArgumentException("checkpoint interval must be at least 1, got " + every);
    }
    this.every = every;
  }

  @Override
  public void onStep(StepInfo m, TrainControl control) {
    if (m.step() % every == 0 && m.step() < m.totalSteps()) {
      control.checkpoint();
    }
  }
}
