package dev.retort.train.grpo;

import dev.retort.train.StepInfo;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One GRPO step as listeners see it. Step numbers are 1-based. Counters named "total" include
 * the steps before a resume.
 *
 * @param lr learning rate of this step's updates
 * @param loss objective value of the step's first update (the policy-gradient surrogate plus KL)
 * @param gradNorm global gradient norm of the first update, before clipping (0 when no update ran)
 * @param rewardMean mean reward of the step's completions
 * @param rewardStd standard deviation of those rewards
 * @param accuracy fraction of completions the verifier accepted
 * @param formatRate fraction of well-formed completions
 * @param responseLength mean completion tokens
 * @param truncatedFraction fraction of completions cut off at max-new-tokens
 * @param kl mean k3 KL to the reference per completion token (NaN when kl-coef is 0: no reference)
 * @param clipFraction fraction of trained completion tokens whose ratio was clipped, over all updates
 * @param zeroAdvantageGroups fraction of groups whose rewards were all equal (no signal)
 * @param sequencesTrained completions with a gradient this step (zero-advantage ones are skipped when kl-coef is 0)
 * @param tokensSampled generated tokens so far (total)
 * @param tokensTrained tokens through forward+backward so far, prompt tokens included, once per update (total)
 * @param flops FLOPs spent so far: sampling + reference + training (total)
 * @param sampleSeconds this step's sampling time
 * @param trainSeconds this step's scoring, reference and update time
 * @param elapsedSeconds training time so far (total)
 * @param totalSteps the planned number of steps
 */
public record GrpoStepMetrics(long step, double lr, double loss, double gradNorm, double rewardMean, double rewardStd,
    double accuracy, double formatRate, double responseLength, double truncatedFraction, double kl, double clipFraction,
    double zeroAdvantageGroups, int sequencesTrained, long tokensSampled, long tokensTrained, double flops,
    double sampleSeconds, double trainSeconds, double elapsedSeconds, long totalSteps) implements StepInfo {

  /**
   * The metrics.jsonl object; NaN values (no KL without a reference) become null. "loss" and "lr"
   * mean what they mean in the SFT trainer's file, so the same training-curve code plots both.
   */
  @Override
  public Map<String, Object> row() {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("step", step);
    r.put("loss", num(loss, 6));
    r.put("lr", lr);
    r.put("grad_norm", num(gradNorm, 6));
    r.put("reward_mean", num(rewardMean, 6));
    r.put("reward_std", num(rewardStd, 6));
    r.put("accuracy", num(accuracy, 6));
    r.put("format_rate", num(formatRate, 6));
    r.put("response_length", num(responseLength, 3));
    r.put("truncated_frac", num(truncatedFraction, 6));
    r.put("kl", num(kl, 8));
    r.put("clip_frac", num(clipFraction, 6));
    r.put("zero_adv_groups", num(zeroAdvantageGroups, 6));
    r.put("seqs_trained", sequencesTrained);
    r.put("tokens_sampled", tokensSampled);
    r.put("tokens_trained", tokensTrained);
    r.put("flops", flops);
    r.put("sample_s", num(sampleSeconds, 3));
    r.put("train_s", num(trainSeconds, 3));
    r.put("elapsed_s", num(elapsedSeconds, 3));
    return r;
  }

  private static Object num(double v, int places) {
    if (!Double.isFinite(v)) {
      return null;
    }
    double f = Math.pow(10, places);
    return Math.round(v * f) / f;
  }

  /** Reward, accuracy, response length, KL, clip fraction, loss, lr and this step's seconds. */
  @Override
  public String progress() {
    return String.format(Locale.ROOT, "reward %.3f acc %.3f len %.1f kl %s clip %.3f loss %.4f lr %.2e %.2f s/step",
        rewardMean, accuracy, responseLength, Double.isNaN(kl) ? "-" : String.format(Locale.ROOT, "%.4f", kl),
        clipFraction, loss, lr, sampleSeconds + trainSeconds);
  }
}
