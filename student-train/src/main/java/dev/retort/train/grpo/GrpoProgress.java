package dev.retort.train.grpo;

import dev.retort.train.TrainControl;
import java.io.PrintStream;
import java.util.Locale;

/**
 * One progress line per {@code every} steps (and the first and last): reward, accuracy, response
 * length, KL, clip fraction, seconds per step and ETA. Printed, never redrawn: GRPO steps take
 * seconds, so a line each time is readable on a terminal and in CI logs alike.
 */
public final class GrpoProgress implements GrpoListener {
  private final PrintStream out;
  private final int every;
  private long startStep;
  private String name = "grpo";
  private long beganNanos;

  public GrpoProgress(PrintStream out, int every) {
    this.out = out;
    this.every = Math.max(1, every);
  }

  /** On stderr. */
  public static GrpoProgress stderr(int every) {
    return new GrpoProgress(System.err, every);
  }

  @Override
  public void onTrainBegin(GrpoInfo info) {
    startStep = info.startStep();
    name = info.name();
    beganNanos = System.nanoTime();
    if (info.startStep() > 0) {
      out.printf(Locale.ROOT, "%s: resuming at step %d of %d%n", name, info.startStep(), info.totalSteps());
    }
  }

  @Override
  public void onStep(GrpoStepMetrics m, TrainControl control) {
    boolean last = m.step() >= m.totalSteps() || control.stopRequested();
    if (m.step() % every == 0 || last || m.step() == startStep + 1) {
      out.println(line(m));
      out.flush();
    }
  }

  String line(GrpoStepMetrics m) {
    int width = 20;
    int filled = (int) Math.min(width, width * m.step() / Math.max(1, m.totalSteps()));
    double perStep = (System.nanoTime() - beganNanos) / 1e9 / Math.max(1, m.step() - startStep);
    long eta = Math.round(perStep * (m.totalSteps() - m.step()));
    return String.format(Locale.ROOT,
        "%s [%s] step %d/%d reward %.3f acc %.3f len %.1f kl %s clip %.3f loss %.4f lr %.2e %.2f s/step ETA %dm%02ds",
        name, "#".repeat(filled) + ".".repeat(width - filled), m.step(), m.totalSteps(), m.rewardMean(), m.accuracy(),
        m.responseLength(), Double.isNaN(m.kl()) ? "-" : String.format(Locale.ROOT, "%.4f", m.kl()), m.clipFraction(),
        m.loss(), m.lr(), perStep, eta / 60, eta % 60);
  }
}
