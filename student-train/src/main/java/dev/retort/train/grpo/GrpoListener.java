package dev.retort.train.grpo;

import dev.retort.train.TrainControl;

/**
 * Cross-cutting work around the GRPO loop (metrics file, progress line, checkpoint cadence, FLOP
 * budget, the caller's own hooks): the loop calls these and knows nothing of what they do. Hooks
 * run on the training thread in registration order; a listener that throws aborts training and
 * the last checkpoint stays valid.
 */
public interface GrpoListener {
  /** Once, before the first step of this process ({@code info.startStep() > 0} after a resume). */
  default void onTrainBegin(GrpoInfo info) {}

  /** After each GRPO step (sampling, scoring and its optimizer updates). */
  default void onStep(GrpoStepMetrics metrics, TrainControl control) {}

  /** Once, after training ended normally and the model was saved. */
  default void onTrainEnd(GrpoResult result) {}
}
