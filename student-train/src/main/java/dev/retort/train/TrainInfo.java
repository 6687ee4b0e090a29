package dev.retort.train;

import java.nio.file.Path;

/**
 * What a run is about to do, for listeners.
 *
 * @param name a label for logs (the output folder's name)
 * @param outDir where the model, metrics and checkpoints go
 * @param startStep steps already done (non-zero after a resume)
 * @param totalSteps steps the run will do unless stopped early (a stop request, a FLOP budget)
 * @param parameterCount model parameters
 */
public record TrainInfo(String name, Path outDir, long startStep, long totalSteps, long parameterCount) {}
