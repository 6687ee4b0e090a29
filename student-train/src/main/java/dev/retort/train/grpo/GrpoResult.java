package dev.retort.train.grpo;

import dev.retort.train.RunResult;

/**
 * The outcome of a GRPO run. "First" and "last" are means over the first and last W steps, with
 * W = max(1, min(log-every, steps / 2)), so the two windows never overlap when steps >= 2.
 *
 * @param steps GRPO steps done (resumes included)
 * @param meanRewardFirst mean reward of the first W steps
 * @param meanRewardLast mean reward of the last W steps
 * @param tokensSampled generated tokens
 * @param tokensTrained tokens through forward+backward (prompt included, once per update)
 * @param flops sampling (2N per prompt and generated token) + reference (2N) + training (6N) FLOPs,
 *     from ModelConfig's accounting, attention included
 * @param wallSeconds training time (resumes included; loading and saving excluded)
 * @param accuracyFirst verifier accuracy of the samples of the first W steps
 * @param accuracyLast verifier accuracy of the samples of the last W steps
 */
public record GrpoResult(long steps, double meanRewardFirst, double meanRewardLast, long tokensSampled,
    long tokensTrained, double flops, double wallSeconds, double accuracyFirst, double accuracyLast) implements RunResult {}
