package dev.retort.pipelines.run;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.retort.train.TrainResult;
import java.util.Map;

/**
 * What each stage of {@code retort run} returns: recorded in its mark ({@code .pipeline/<stage>.json},
 * snake_case JSON) and read back, typed, when a rerun skips the stage. Fields a mark has beyond the
 * record's (a mark written before a field was dropped) are ignored; a field it lacks reads as null or 0.
 */
public final class StageResults {
  private StageResults() {}

  /** The prompt splits written. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Prompts(int bootstrapPrompts, int distillPrompts) {}

  /**
   * A trained model (teacher, base, students).
   *
   * @param checkpoint where the model is (the teacher's cache entry; null for the run's own models)
   * @param examples SFT rows it trained on, where the stage wrote them itself (null otherwise)
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Trained(double finalLoss, long steps, long tokens, long params, double flops, double seconds,
      String checkpoint, Integer examples) {
    public static Trained of(TrainResult r) {
      return new Trained(r.finalLoss(), r.steps(), r.tokens(), r.parameterCount(), r.flops(), r.wallSeconds(), null, null);
    }

    public Trained withCheckpoint(String where) {
      return new Trained(finalLoss, steps, tokens, params, flops, seconds, where, examples);
    }

    public Trained withExamples(int n) {
      return new Trained(finalLoss, steps, tokens, params, flops, seconds, checkpoint, n);
    }
  }

  /** Teacher generation through the run's servers. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Generated(long traces, long completionTokens, double seconds) {}

  /** The filter's verdicts. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Filtered(long traces, long accepted, long rejected, double acceptRate, long badFiles, long badRows) {}

  /** The RL arm's GRPO run. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Reinforced(long steps, double rewardFirst, double rewardLast, long tokens, double flops, double seconds) {}

  /**
   * The eval stage: pass@1 of each model on arith by model name, and the report's location.
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Evaluated(Map<String, Double> accuracy, String report) {}

  /** The distilled-versus-RL study (see {@link Study}). */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Compared(double distilledAcc, double rlAcc, double baseAcc, double teacherAcc, double diff,
      double diffCiLow, double diffCiHigh, double flopsRatio, int seeds, double rlGain, double rlGainSe,
      double rlGainCiLow, double rlGainCiHigh, boolean rlLearned, double distilledFlops, double rlFlops, String report) {
    public Compared withReport(String where) {
      return new Compared(distilledAcc, rlAcc, baseAcc, teacherAcc, diff, diffCiLow, diffCiHigh, flopsRatio, seeds, rlGain,
          rlGainSe, rlGainCiLow, rlGainCiHigh, rlLearned, distilledFlops, rlFlops, where);
    }
  }
}
