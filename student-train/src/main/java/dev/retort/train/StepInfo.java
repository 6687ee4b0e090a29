package dev.retort.train;

import java.util.Map;

/**
 * What every trainer's step tells its listeners, whatever else it carries: the fields the shared
 * listeners ({@link CheckpointEvery}, {@link MetricsJsonl}, {@link ProgressBar}, {@link Snapshots},
 * {@link EarlyStopping}, the FLOP budget) read. Step numbers are 1-based (the number of steps done).
 * Each trainer's metrics record ({@link StepMetrics}, {@code GrpoStepMetrics}) implements it and
 * says how it is written: its {@code metrics.jsonl} line and its part of the progress line.
 */
public interface StepInfo {
  long step();

  /** The planned number of steps. */
  long totalSteps();

  /** The objective of the step (SFT: cross-entropy per completion token). */
  double loss();

  /** The learning rate of the step. */
  double lr();

  /** Training FLOPs spent since the run began (resumes included). */
  double flops();

  /** Training time since the run began (resumes included). */
  double elapsedSeconds();

  /** The step's {@code metrics.jsonl} object, keys in file order; null values are written as null. */
  Map<String, Object> row();

  /** The step's fields of the progress line, between "step n/N" and the ETA. */
  String progress();
}
