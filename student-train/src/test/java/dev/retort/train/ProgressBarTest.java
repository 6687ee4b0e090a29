package dev.retort.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The ETA comes from the rate measured after warm-up, so slow first steps do not inflate it. */
class ProgressBarTest {
  @Test
  void etaIgnoresSlowWarmupSteps() {
    long[] now = {0};
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    ProgressBar bar = new ProgressBar(new PrintStream(buf, true, StandardCharsets.UTF_8), false, 1, () -> now[0]);
    long total = 200;
    bar.onTrainBegin(new TrainInfo("t", Path.of("x"), 0, total, 1, 10, 100, List.of("cpu")));
    long warm = ProgressBar.warmupSteps(total);
    assertEquals(10, warm);
    String line = "";
    for (long step = 1; step <= 20; step++) {
      // Warm-up steps take 7 s each, later ones 1 s: an ETA from the mean since the start would be far too long.
      now[0] += (step <= warm ? 7_000_000_000L : 1_000_000_000L);
      StepMetrics m = new StepMetrics(step, 0, 1.0, 1e-3, 1.0, step * 100, 100, 100, now[0] / 1e9, total, 0);
      bar.onStep(m, null);
      line = bar.line(m);
      if (step <= warm) {
        assertTrue(line.endsWith("ETA ?"), line);
      }
    }
    // 180 steps left at 1 s each.
    assertTrue(line.endsWith("ETA 3m00s"), line);
  }
}
