package dev.retort.train.grpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.model.Checkpoint;
import dev.retort.model.LoadedModel;
import dev.retort.train.Checkpoints;
import dev.retort.train.SftData;
import dev.retort.train.SftTrainer;
import dev.retort.train.Snapshots;
import dev.retort.train.TrainResult;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SFT snapshots along training ({@code snapshots}); GRPO's are in GrpoTrainerTest. */
class SnapshotsTest {
  @TempDir
  static Path work;

  @Test
  void sftSavesLoadableSnapshotsAtFractionsOfItsSteps() throws Exception {
    Path data = work.resolve("sft-data");
    SftData.write(data, BaseData.answersOnly(GrpoFixtures.luckyBaseRows(5), GrpoFixtures.TEMPLATE));
    Path out = work.resolve("sft");
    TrainResult r = SftTrainer.run(GrpoFixtures.tinySft("max-steps=8", "snapshots=[0.5, 0.25]"), data, out);
    List<Snapshots.Point> pts = Snapshots.read(out.resolve(Snapshots.DIR));
    assertEquals(2, pts.size(), pts.toString());
    assertEquals(0.25, pts.get(0).fraction(), 1e-12);
    assertEquals(2, pts.get(0).step(), "a quarter of 8 steps");
    assertEquals(4, pts.get(1).step(), "half of 8 steps");
    assertEquals(r.flops() / 2, pts.get(1).flops(), r.flops() * 1e-9, "FLOPs of half the tokens");
    Map<String, float[]> half = Checkpoints.readTensors(pts.get(1).dir().resolve("model.safetensors"));
    Map<String, float[]> last = Checkpoints.readTensors(out.resolve("model.safetensors"));
    String name = half.keySet().iterator().next();
    assertFalse(Arrays.equals(half.get(name), last.get(name)), "a snapshot holds the weights of its step, not the final ones");
    try (NDManager m = NDManager.newBaseManager(); LoadedModel loaded = Checkpoint.load(pts.get(0).dir(), m)) {
      assertEquals(loaded.config().hiddenSize(), 32, "loads as a Hugging Face checkpoint");
    }
  }


  @Test
  void fractionsOutsideTheRunAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> new Snapshots(work, List.of(1.0), 0));
    assertThrows(dev.retort.core.config.ConfigError.class, () -> GrpoFixtures.tinySft("snapshots=[0]"));
  }
}
