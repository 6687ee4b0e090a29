package dev.retort.train;

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
}
