package dev.retort.train;

import java.util.Map;

/**
 * Cross-cutting work around a training loop (progress, metrics, checkpoints, early stop), after
 * DJL's listeners: the loop calls these hooks and knows nothing of what they do. Hooks run on the
 * training thread in registration order; a listener that throws aborts training (the last
 * checkpoint stays valid).
 *
 * <p>A listener whose decisions depend on history (early stopping) returns that history from
 * {@link #saveState()}; it is stored in every checkpoint under {@link #stateKey()} and handed
 * back by {@link #restoreState} on resume, so a resumed run decides as the uninterrupted one would.
 */
public interface TrainingListener {
  /** Once, before the first step of this process (after a resume, {@code info.startStep() > 0}). */
  default void onTrainBegin(TrainInfo info) {}

  /** After each optimizer step. */
  default void onStep(StepMetrics metrics, TrainControl control) {}

  /** After the last step of an epoch (0-based). */
  default void onEpochEnd(int epoch, TrainControl control) {}

  /** Once, after training ended normally (steps exhausted or a stop request). */
  default void onTrainEnd(TrainResult result) {}

  /** Key of this listener's state in checkpoints; null (the default) when it has none. */
  default String stateKey() {
    return null;
  }

  /** JSON-friendly state (numbers, strings, lists, maps) to store with a checkpoint. */
  default Map<String, Object> saveState() {
    return Map.of();
  }

  /** State from the checkpoint a run resumes from. */
  default void restoreState(Map<String, Object> state) {}
}
