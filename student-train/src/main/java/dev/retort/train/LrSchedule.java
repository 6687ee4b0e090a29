package dev.retort.train;

/** Learning rate of optimizer step {@code step} (0-based). */
@FunctionalInterface
public interface LrSchedule {
  double lr(long step);

  /**
   * Linear warmup from {@code peak/warmup} to {@code peak} over {@code warmup} steps, then cosine
   * decay to {@code peak * minRatio} at the last step ({@code total - 1}), as in DeepSeek-R1's
   * distillation recipe (floor 1/10 of the peak). Steps past {@code total} stay at the floor.
   */
  static LrSchedule warmupCosine(double peak, double minRatio, long warmup, long total) {
    if (peak <= 0 || minRatio < 0 || minRatio > 1 || warmup < 0 || total < 1) {
      throw new IllegalArgumentException("bad schedule: peak=" + peak + " minRatio=" + minRatio + " warmup=" + warmup + " total=" + total);
    }
    double floor = peak * minRatio;
    return step -> {
      if (step < warmup) {
        return peak * (step + 1) / warmup;
      }
      long decaySteps = total - 1 - warmup;
      if (decaySteps <= 0) {
        return peak; // no room to decay: the run ends inside or right after warmup
      }
      double progress = Math.min(1.0, (step - warmup) / (double) decaySteps);
      return floor + (peak - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
    };
  }

  static LrSchedule constant(double lr) {
    return step -> lr;
  }
}
