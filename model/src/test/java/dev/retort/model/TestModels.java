package dev.retort.model;

import ai.djl.ndarray.NDManager;
import java.util.List;

/** Shared tiny configs and engine setup for the model tests. */
final class TestModels {
  static {
    // Two cores on CI: keep torch from oversubscribing them (read at engine start).
    System.setProperty("ai.djl.pytorch.num_threads", "2");
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
  }

  private TestModels() {}

  static NDManager manager() {
    return NDManager.newBaseManager();
  }

  /** Qwen2: q/k/v bias, GQA (4 query heads on 2 kv heads), tied head. */
  static ModelConfig qwen(int vocab) {
    return new ModelConfig("qwen2", vocab, 32, 64, 2, 4, 2, 8, 128, 1e-6, 10000.0, null, true,
        false, false, null, List.of(), null);
  }

  /** Qwen3: q_norm/k_norm, no biases, GQA (4 query heads on 2 kv heads), head_dim 16 != 32 / 4, tied head. */
  static ModelConfig qwen3(int vocab) {
    return new ModelConfig("qwen3", vocab, 32, 64, 2, 4, 2, 16, 256, 1e-6, 1000000.0, null, true,
        false, false, null, List.of(), null);
  }

  /** Llama: untied head, attention bias, llama3 rope scaling, MHA. */
  static ModelConfig llama(int vocab) {
    return new ModelConfig("llama", vocab, 32, 48, 2, 4, 4, 8, 128, 1e-5, 500000.0,
        new ModelConfig.RopeScaling("llama3", 8.0, 1.0, 4.0, 512), false, true, true, null,
        List.of(), null);
  }

  /**
   * Replaces the tiny HF-style init with larger random values (weights ~0.3, norms ~1 +- 0.2,
   * biases ~0.2) so that logits are O(1) and numeric comparisons have something to bite on.
   */
  static void randomize(Transformer t, long seed) {
    java.util.Map<String, float[]> v = t.parameterValues();
    java.util.Random r = new java.util.Random(seed);
    v.forEach((name, a) -> {
      for (int i = 0; i < a.length; i++) {
        double g = r.nextGaussian();
        a[i] = (float) (name.endsWith("norm.weight") ? 1 + 0.2 * g
            : name.endsWith(".bias") ? 0.2 * g : 0.3 * g);
      }
    });
    t.setParameterValues(v);
  }
}
