package dev.retort.train;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.train.TrainingCurves.Curve;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one plotting path of both trainers: PNGs from metrics.jsonl, nothing when there is nothing to draw. */
class TrainingCurvesTest {
  @TempDir Path dir;

  @Test
  void writesLossLrAndCustomChartsAndSkipsMissingOrTornData() throws Exception {
    Path metrics = dir.resolve("metrics.jsonl");
    Files.writeString(metrics, """
        {"step":1,"loss":2.5,"lr":1e-4,"reward_mean":0.1,"accuracy":0.0}
        {"step":2,"loss":2.1,"lr":2e-4,"reward_mean":0.3,"accuracy":null}
        {"step":3,"loss":1.9,"lr":2e-4,"rew""");
    assertTrue(TrainingCurves.write(metrics, dir, "run"));
    assertTrue(Files.size(dir.resolve(TrainingCurves.LOSS_PNG)) > 0 && Files.size(dir.resolve(TrainingCurves.LR_PNG)) > 0);
    assertTrue(TrainingCurves.plot(metrics, dir.resolve("reward.png"), "run", "mean",
        List.of(new Curve("reward mean", "reward_mean"), new Curve("accuracy", "accuracy"))));
    assertTrue(Files.size(dir.resolve("reward.png")) > 0);

    assertFalse(TrainingCurves.plot(metrics, dir.resolve("none.png"), "run", "x", List.of(new Curve("kl", "kl"))));
    assertFalse(Files.exists(dir.resolve("none.png")));
    assertFalse(TrainingCurves.write(dir.resolve("absent.jsonl"), dir.resolve("other"), "run"));
    try (var files = Files.list(dir)) {
      assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "no temporaries left");
    }
  }
}
