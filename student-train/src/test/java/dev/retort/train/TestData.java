package dev.retort.train;

import dev.retort.core.data.Completions;
import dev.retort.core.data.Prompt;
import dev.retort.core.data.SftExample;
import dev.retort.core.datasets.Arith;
import java.nio.file.Path;
import java.util.List;

/** Tiny arith SFT data and tiny models shared by the tests. */
final class TestData {
  static {
    // Two cores shared with other builds: keep torch's pools small (read at engine start).
    System.setProperty("ai.djl.pytorch.num_threads", "2");
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
  }

  static final String TEMPLATE = "{problem}\n" + Completions.MATH_SUFFIX;

  private TestData() {}

  /** Starts the engine (JniUtils calls fail before it is loaded) with grad mode off on this thread. */
  static void engine() {
    ai.djl.engine.Engine.getInstance();
    ai.djl.pytorch.jni.JniUtils.setGradMode(false);
  }

  static List<Prompt> prompts(int n, long seed) {
    return Arith.generate(Arith.Spec.defaults(), seed, n, Arith.Split.TRAIN);
  }

  static List<SftExample> examples(int n, long seed) {
    return SftData.fromPrompts(prompts(n, seed), TEMPLATE);
  }

  /** Writes n arith SFT rows into dir and returns dir. */
  static Path sft(Path dir, int n, long seed) {
    SftData.write(dir, examples(n, seed));
    return dir;
  }

  /** A tiny random-init student: about 40k parameters, short runs. */
  static TrainSettings tiny(String... more) {
    String[] base = {
      "model.hidden-size=32", "model.num-layers=2", "model.num-heads=4", "model.num-kv-heads=2",
      "model.intermediate-size=64", "model.max-position-embeddings=512", "seq-len=512", "batch-size=2",
      "epochs=1", "warmup-steps=2", "lr=3e-3", "log-every=2", "threads=1", "checkpoint-every=4", "devices=cpu"
    };
    String[] all = new String[base.length + more.length];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(more, 0, all, base.length, more.length);
    return TrainSettings.defaults(all);
  }
}
