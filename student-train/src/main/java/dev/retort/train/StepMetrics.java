package dev.retort.train;

/**
 * One optimizer step, as listeners see it. Step numbers are 1-based (the number of updates done).
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
    double tokensPerSecond, double elapsedSeconds, long totalSteps, double flops) {}
