package dev.retort.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.train.grpo.GrpoStepMetrics;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * One progress bar for every trainer: the ETA comes from the rate measured after warm-up, so slow
 * first steps do not inflate it; the trainer's metrics give the line's fields; a stop request
 * prints the last line.
 */
class ProgressBarTest {
  /** The loop's side of the listeners' calls, with a stop that can be requested. */
  static final class Control implements TrainControl {
    String reason;

    @Override
    public void requestStop(String r) {
      reason = r;
    }

    @Override
    public boolean stopRequested() {
      return reason != null;
    }

    @Override
    public Path checkpoint() {
      throw new UnsupportedOperationException();
    }

    @Override
    public void snapshot(Path dir) {
      throw new UnsupportedOperationException();
    }
  }

  @Test
  void etaIgnoresSlowWarmupSteps() {
    long[] now = {0};
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    ProgressBar bar = new ProgressBar(new PrintStream(buf, true, StandardCharsets.UTF_8), false, 1, () -> now[0]);
    long total = 200;
    bar.onTrainBegin(new TrainInfo("t", Path.of("x"), 0, total, 10));
    long warm = ProgressBar.warmupSteps(total);
    assertEquals(10, warm);
    String line = "";
    for (long step = 1; step <= 20; step++) {
      // Warm-up steps take 7 s each, later ones 1 s: an ETA from the mean since the start would be far too long.
      now[0] += (step <= warm ? 7_000_000_000L : 1_000_000_000L);
      StepMetrics m = new StepMetrics(step, 0, 1.0, 1e-3, 1.0, step * 100, 100, 12_345, now[0] / 1e9, total, 0);
      bar.onStep(m, new Control());
      line = bar.line(m);
      if (step <= warm) {
        assertTrue(line.endsWith("ETA ?"), line);
      }
    }
    // 180 steps left at 1 s each.
    assertTrue(line.endsWith("ETA 3m00s"), line);
    assertTrue(line.startsWith("t [" + "#".repeat(2) + ".".repeat(22) + "] step 20/200 epoch 1 loss 1.0000 lr 1.00e-03 "
        + "12.3k tok/s "), line);
  }

  @Test
  void grpoStepsGiveTheirOwnFieldsAndAStopPrintsTheLastLine() {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    ProgressBar bar = new ProgressBar(new PrintStream(buf, true, StandardCharsets.UTF_8), false, 10, () -> 0L);
    bar.onTrainBegin(new TrainInfo("rl", Path.of("rl"), 0, 40, 10));
    Control control = new Control();
    for (long step = 1; step <= 3; step++) {
      if (step == 3) {
        control.requestStop("FLOP budget reached");
      }
      bar.onStep(grpo(step, step == 2 ? Double.NaN : 0.01), control);
    }
    List<String> lines = buf.toString(StandardCharsets.UTF_8).lines().toList();
    // Step 1 (the first of the run) and step 3 (stopped there); step 2 is not a multiple of 10.
    assertEquals(2, lines.size(), lines.toString());
    assertTrue(lines.get(0).startsWith("rl [" + ".".repeat(24) + "] step 1/40 reward 0.500 acc 0.250 len 12.5 kl 0.0100 "
        + "clip 0.000 loss 0.1000 lr 1.00e-04 1.50 s/step ETA"), lines.get(0));
    assertTrue(lines.get(1).contains("step 3/40 "), lines.get(1));
    assertTrue(grpo(2, Double.NaN).progress().contains(" kl - "), "no reference: no KL");
    assertEquals(null, grpo(2, Double.NaN).row().get("kl"));
    assertEquals(0.01, grpo(2, 0.01).row().get("kl"));
  }

  private static GrpoStepMetrics grpo(long step, double kl) {
    return new GrpoStepMetrics(step, 1e-4, 0.1, 1.0, 0.5, 0.5, 0.25, 1.0, 12.5, 0, kl, 0, 0.5, 8, 100 * step,
        200 * step, 1e9 * step, 1.0, 0.5, 1.5 * step, 40);
  }
}
