package dev.retort.train;

import java.nio.file.Path;
import java.util.List;

/**
 * What a run is about to do, for listeners.
 *
 * @param name a label for logs (the output folder's name)
 * @param outDir where the model, metrics and checkpoints go
 * @param startStep steps already done (non-zero after a resume)
 * @param totalSteps steps the run will do unless stopped early
 * @param epochs planned epochs
 * @param parameterCount model parameters
 * @param tokensPerStep upper bound of tokens of one step (batch x seq-len x grad-accum)
 * @param devices the devices training runs on
 */
public record TrainInfo(String name, Path outDir, long startStep, long totalSteps, int epochs, long parameterCount,
    long tokensPerStep, List<String> devices) {}
