package dev.retort.train;

/**
 * What every training run reports, whatever the method: {@link TrainResult} (SFT) and
 * {@code GrpoResult} both carry it, so a caller comparing methods reads the two alike.
 */
public interface RunResult {
  /** Steps done (resumes included). */
  long steps();

  /** Training FLOPs, with the accounting of the method's step metrics. */
  double flops();

  /** Training time (resumes included; loading and saving excluded). */
  double wallSeconds();
}
