package dev.retort.train;

import java.util.List;
import java.util.Map;

/**
 * The counters of a run at a checkpoint; with the weights and optimizer moments saved next to it,
 * everything a resumed run needs to continue exactly. The data position is the step alone: the
 * data order of every step is a function of (seed, epoch, step) ({@link SftDataset}), and nothing
 * else in training draws random numbers, so there is no RNG state to save.
 *
 * @param step optimizer steps done
 * @param optimizerSteps AdamW's update count (equals step for SFT; kept apart for trainers that skip updates)
 * @param tokens non-padding tokens trained on
 * @param elapsedSeconds training time so far
 * @param runHash identity of config and inputs; a checkpoint of another run is never resumed
 * @param recentLosses losses of the last few steps (for the final-loss window)
 * @param finished true when training ended (steps exhausted or stopped): a rerun only saves
 * @param stopReason why training stopped early, or null
 * @param listeners saved states of stateful listeners by key
 * @param extra trainer-specific JSON-friendly state (a GRPO trainer's sampling RNG, ...)
 */
public record TrainState(long step, long optimizerSteps, long tokens, double elapsedSeconds, String runHash,
    List<Double> recentLosses, boolean finished, String stopReason, Map<String, Map<String, Object>> listeners,
    Map<String, Object> extra) {
  public TrainState {
    recentLosses = recentLosses == null ? List.of() : List.copyOf(recentLosses);
    listeners = listeners == null ? Map.of() : listeners;
    extra = extra == null ? Map.of() : extra;
  }
}
