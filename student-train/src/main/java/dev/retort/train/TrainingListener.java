package dev.retort.train;

import java.util.Map;

/**
 * Cross-cutting work around a training loop (progress, metrics, checkpoints, early stop, FLOP
 * budget, snapshots), after DJL's listeners: the loop ({@link TrainLoop}) calls these hooks and
 * knows nothing of what they do. One family for every trainer: a listener that reads only what
 * all steps carry is a {@code TrainingListener<StepInfo>} and serves SFT and GRPO alike; one that
 * needs a trainer's own metrics names them ({@code TrainingListener<GrpoStepMetrics>}). Hooks run
 * on the training thread in registration order; a listener that throws aborts training (the last
 * checkpoint stays valid).
 *
 * <p>A listener whose decisions depend on history (early stopping) returns that history from
 * {@link #saveState()}; it is stored in every checkpoint under {@link #stateKey()} and handed
 * back by {@link #restoreState} on resume, so a resumed run decides as the uninterrupted one would.
 *
 * @param <M> the step metrics the listener reads
 */
public interface TrainingListener<M extends StepInfo> {
  /** Once, before the first step of this process (after a resume, {@code info.startStep() > 0}). */
  default void onTrainBegin(TrainInfo info) {}

  /** After each step. */
  default void onStep(M metrics, TrainControl control) {}

  /** After the last step of an epoch (0-based; trainers without epochs never call it). */
  default void onEpochEnd(int epoch, TrainControl control) {}

  /** Once, after training ended normally (steps exhausted or a stop request) and the model was saved. */
  default void onTrainEnd(RunResult result) {}

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
