package dev.retort.train.grpo;

import java.nio.file.Path;

/**
 * What a GRPO run is about to do, for listeners.
 *
 * @param name a label for logs (the output folder's name)
 * @param outDir where the model, metrics and checkpoints go
 * @param startStep steps already done (non-zero after a resume)
 * @param totalSteps steps planned (a FLOP budget may end the run earlier)
 * @param parameterCount policy parameters
 * @param sequencesPerStep completions sampled per step (prompts-per-step x group-size)
 */
public record GrpoInfo(String name, Path outDir, long startStep, long totalSteps, long parameterCount,
    int sequencesPerStep) {}
