package dev.retort.train.grpo;

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
    double sampleSeconds, double trainSeconds, double elapsedSeconds, long totalSteps) {}
