package dev.retort.train.grpo;

import dev.retort.train.TrainingCurves;
import dev.retort.train.TrainingCurves.Curve;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code reward.png}: mean reward and verifier accuracy per step, from metrics.jsonl. Loss and
 * learning-rate curves, and the plotting itself, are the SFT trainer's {@link TrainingCurves}.
 */
public final class GrpoCurves {
  public static final String REWARD_PNG = "reward.png";

  private GrpoCurves() {}

  /** Writes {@code reward.png} into {@code dir}; false when the metrics file has no rows. */
  public static boolean write(Path metricsJsonl, Path dir, String title) {
    return TrainingCurves.plot(metricsJsonl, dir.resolve(REWARD_PNG), title + ": GRPO reward", "per-step mean over samples",
        List.of(new Curve("reward mean", "reward_mean"), new Curve("accuracy", "accuracy")));
  }
}
