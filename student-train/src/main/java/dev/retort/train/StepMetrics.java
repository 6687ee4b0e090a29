package dev.retort.train;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One SFT optimizer step, as listeners see it. Step numbers are 1-based (the number of updates done).
 *
 * @param loss mean cross-entropy per completion token of this step
 * @param lr learning rate used
 * @param gradNorm global gradient norm before clipping
 * @param tokens non-padding tokens trained on since the run began (resumes included)
 * @param stepTokens non-padding tokens of this step
 * @param tokensPerSecond tokens per second of this process so far
 * @param elapsedSeconds training time since the run began (resumes included)
 * @param totalSteps the planned number of steps
 * @param flops training FLOPs spent since the run began (the same accounting as {@link TrainResult#flops()})
 */
public record StepMetrics(long step, int epoch, double loss, double lr, double gradNorm, long tokens, long stepTokens,
    double tokensPerSecond, double elapsedSeconds, long totalSteps, double flops) implements StepInfo {

  /** step, epoch, loss, lr, grad_norm, tokens, tokens_per_s, elapsed_s. */
  @Override
  public Map<String, Object> row() {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("step", step);
    row.put("epoch", epoch);
    row.put("loss", loss);
    row.put("lr", lr);
    row.put("grad_norm", gradNorm);
    row.put("tokens", tokens);
    row.put("tokens_per_s", Math.round(tokensPerSecond * 10) / 10.0);
    row.put("elapsed_s", Math.round(elapsedSeconds * 1000) / 1000.0);
    return row;
  }

  @Override
  public String progress() {
    return String.format(Locale.ROOT, "epoch %d loss %.4f lr %.2e %s tok/s", epoch + 1, loss, lr,
        tokensPerSecond >= 10_000 ? String.format(Locale.ROOT, "%.1fk", tokensPerSecond / 1000)
            : String.format(Locale.ROOT, "%.0f", tokensPerSecond));
  }
}
