package dev.retort.train;

import java.io.PrintStream;
import java.util.Locale;

/**
 * One progress line with loss, tokens/s and ETA: rewritten in place with {@code \r} on a terminal,
 * printed every {@code every} steps otherwise (logs and CI stay readable).
 */
public final class ProgressBar implements TrainingListener {
  private final PrintStream out;
  private final boolean tty;
  private final int every;
  private long startStep;
  private long lastDrawNanos;
  private String name = "train";

  public ProgressBar(PrintStream out, boolean tty, int every) {
    this.out = out;
    this.tty = tty;
    this.every = Math.max(1, every);
  }

  /** On stderr; a TTY when the JVM has a console. */
  public static ProgressBar auto(int every) {
    return new ProgressBar(System.err, System.console() != null, every);
  }

  @Override
  public void onTrainBegin(TrainInfo info) {
    startStep = info.startStep();
    name = info.name();
    if (info.startStep() > 0) {
      out.printf(Locale.ROOT, "%s: resuming at step %d of %d%n", name, info.startStep(), info.totalSteps());
    }
  }

  @Override
  public void onStep(StepMetrics m, TrainControl control) {
    boolean last = m.step() >= m.totalSteps();
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
  public void onTrainEnd(TrainResult result) {
    if (tty) {
      out.println();
    }
  }

  String line(StepMetrics m) {
    int width = 24;
    int filled = (int) Math.min(width, width * m.step() / Math.max(1, m.totalSteps()));
    String bar = "#".repeat(filled) + ".".repeat(width - filled);
    double stepsPerSec = m.tokensPerSecond() > 0 && m.stepTokens() > 0 ? m.tokensPerSecond() / m.stepTokens() : 0;
    long etaSec = stepsPerSec > 0 ? Math.round((m.totalSteps() - m.step()) / stepsPerSec) : -1;
    return String.format(Locale.ROOT, "%s [%s] step %d/%d epoch %d loss %.4f lr %.2e %s tok/s ETA %s",
        name, bar, m.step(), m.totalSteps(), m.epoch() + 1, m.loss(), m.lr(), compact(m.tokensPerSecond()), eta(etaSec));
  }

  private static String compact(double v) {
    return v >= 10_000 ? String.format(Locale.ROOT, "%.1fk", v / 1000) : String.format(Locale.ROOT, "%.0f", v);
  }

  private static String eta(long s) {
    if (s < 0) {
      return "?";
    }
    return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60)
        : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
  }
}
