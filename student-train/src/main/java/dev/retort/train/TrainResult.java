package dev.retort.train;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The outcome of an SFT run.
 *
 * @param finalLoss mean loss of the last {@code log-every} steps
 * @param steps optimizer steps done (resumes included)
 * @param tokens non-padding tokens trained on
 * @param wallSeconds training time (resumes included; data preparation and saving excluded)
 * @param parameterCount model parameters
 * @param flops model training FLOPs: tokens x 3 x forward FLOPs per token (6N plus attention over the mean row length)
 */
public record TrainResult(double finalLoss, long steps, long tokens, double wallSeconds, long parameterCount,
    double flops) implements RunResult {
  public double tokensPerSecond() {
    return wallSeconds > 0 ? tokens / wallSeconds : 0;
  }

  /**
   * The start of an SFT output's stats.json, whichever trainer made it: {@code trainer} and this
   * result's fields (the trainer adds its own after them).
   */
  public Map<String, Object> stats(TrainSettings.Trainer trainer) {
    Map<String, Object> stats = new LinkedHashMap<>();
    stats.put("trainer", trainer.name().toLowerCase(Locale.ROOT));
    stats.put("final_loss", finalLoss);
    stats.put("steps", steps);
    stats.put("tokens", tokens);
    stats.put("wall_seconds", wallSeconds);
    stats.put("parameter_count", parameterCount);
    stats.put("flops", flops);
    stats.put("tokens_per_s", tokensPerSecond());
    return stats;
  }
}
