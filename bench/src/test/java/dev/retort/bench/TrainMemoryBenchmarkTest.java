package dev.retort.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The train-memory benchmark end to end on a tiny architecture: both arms train through
 * SftTrainer.run, and the result line carries their peaks and throughputs.
 */
class TrainMemoryBenchmarkTest {
  static {
    // Two cores shared with other builds: keep torch's pools small (read at engine start).
    System.setProperty("ai.djl.pytorch.num_threads", "2");
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
  }

  @Test
  void bothArmsTrainAndReport() {
    ai.djl.engine.Engine.getInstance();
    ai.djl.pytorch.jni.JniUtils.setGradMode(false); // grad mode is per thread; the trainer turns it on
    List<String> log = new ArrayList<>();
    TrainMemoryBenchmark.Result r = TrainMemoryBenchmark.run(
        new TrainMemoryBenchmark.Options(new TrainMemoryBenchmark.Shape(32, 2, 4, 2, 64, 4096), 2, 512, 100, true, 384,
            null, List.of("threads=1")),
        log::add);
    assertEquals(2, r.main().steps());
    assertEquals(2, r.unchunked().steps());
    assertTrue(r.main().peakRssGb() > 0 && r.main().tokensPerSecond() > 0, r.resultLine());
    assertTrue(r.unchunked().peakRssGb() > 0 && r.unchunked().tokensPerSecond() > 0, r.resultLine());
    String line = r.resultLine();
    assertTrue(line.startsWith("RESULT train-memory peak_rss_gb="), line);
    assertTrue(line.contains(" chunked=true recompute=true seq_len=512 loss_chunk=100 steps=2"), line);
    assertTrue(line.contains(" unchunked_seq_len=384 "), line);
  }
}
