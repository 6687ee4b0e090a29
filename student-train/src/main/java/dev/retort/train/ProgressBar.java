package dev.retort.train;

import java.io.PrintStream;
import java.util.Locale;

/**
 * One progress line per step: the run's name, a bar, the step, the trainer's own fields
 * ({@link StepInfo#progress()}: SFT's loss, lr and tokens/s; GRPO's reward, accuracy, KL, ...) and
 * an ETA. Rewritten in place with {@code \r} on a terminal, printed every {@code every} steps (and
 * the first and last) otherwise, so logs and CI stay readable. GRPO always prints ({@link #lines}):
 * its steps take seconds, so a line each time reads well on a terminal too.
 *
 * <p>The ETA is the remaining steps at the rate measured since the end of a warm-up (the first
 * {@link #warmupSteps} steps of this run, which pay for JIT compilation, the first allocations and
 * the first batches' caching, so they are slower than the rest): "?" until then.
 */
public final class ProgressBar implements TrainingListener<StepInfo> {
  private final PrintStream out;
  private final boolean tty;
  private final int every;
  private long startStep;
  private long lastDrawNanos;
  private String name = "train";
  private final java.util.function.LongSupplier clock;
  private long warmStep = -1;
  private long warmNanos;

  public ProgressBar(PrintStream out, boolean tty, int every) {
    this(out, tty, every, System::nanoTime);
  }

  /** @param clock nanoseconds, for the ETA's measured rate (tests pass their own) */
  ProgressBar(PrintStream out, boolean tty, int every, java.util.function.LongSupplier clock) {
    this.out = out;
    this.tty = tty;
    this.every = Math.max(1, every);
    this.clock = clock;
  }

  /** Steps of warm-up before the rate is measured: 5% of this run's steps, at least 1, at most 20. */
  static long warmupSteps(long stepsThisRun) {
    return Math.max(1, Math.min(20, stepsThisRun / 20));
  }

  /** On stderr; a TTY when the JVM has a console. */
  public static ProgressBar auto(int every) {
    return new ProgressBar(System.err, System.console() != null, every);
  }

  /** On stderr, printed every {@code every} steps and never redrawn, terminal or not. */
  public static ProgressBar lines(int every) {
    return new ProgressBar(System.err, false, every);
  }

  @Override
  public void onTrainBegin(TrainInfo info) {
    startStep = info.startStep();
    name = info.name();
    warmStep = -1;
    if (info.startStep() > 0) {
      out.printf(Locale.ROOT, "%s: resuming at step %d of %d%n", name, info.startStep(), info.totalSteps());
    }
  }

  @Override
  public void onStep(StepInfo m, TrainControl control) {
    if (warmStep < 0 && m.step() - startStep >= warmupSteps(m.totalSteps() - startStep)) {
      warmStep = m.step();
      warmNanos = clock.getAsLong();
    }
    boolean last = m.step() >= m.totalSteps() || control.stopRequested();
    if (tty) {
      long now = System.nanoTime();
      if (!last && now - lastDrawNanos < 100_000_000L) {
        return; // at most 10 redraws a second
      }
      lastDrawNanos = now;
      out.print("\r" + line(m) + "   ");
      if (last) {
        out.println();
      }
      out.flush();
    } else if (m.step() % every == 0 || last || m.step() == startStep + 1) {
      out.println(line(m));
      out.flush();
    }
  }

  @Override
  public void onTrainEnd(RunResult result) {
    if (tty) {
      out.println();
    }
  }

  String line(StepInfo m) {
    int width = 24;
    int filled = (int) Math.min(width, width * m.step() / Math.max(1, m.totalSteps()));
    String bar = "#".repeat(filled) + ".".repeat(width - filled);
    long etaSec = -1;
    if (warmStep >= 0 && m.step() > warmStep) {
      double secondsPerStep = (clock.getAsLong() - warmNanos) / 1e9 / (m.step() - warmStep);
      etaSec = Math.round((m.totalSteps() - m.step()) * secondsPerStep);
    }
    return String.format(Locale.ROOT, "%s [%s] step %d/%d %s ETA %s", name, bar, m.step(), m.totalSteps(), m.progress(),
        eta(etaSec));
  }

  private static String eta(long s) {
    if (s < 0) {
      return "?";
    }
    return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60)
        : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
  }
}
