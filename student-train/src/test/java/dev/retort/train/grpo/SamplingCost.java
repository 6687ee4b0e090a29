package dev.retort.train.grpo;

import ai.djl.ndarray.NDManager;
import dev.retort.core.data.Prompt;
import dev.retort.core.datasets.Arith;
import dev.retort.model.ChatTemplate;
import dev.retort.model.Checkpoint;
import dev.retort.model.LoadedModel;
import dev.retort.model.Sampler;
import dev.retort.model.SamplingOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Manual measurement (not a test): where a GRPO step's sampling time goes. Args: MODEL_DIR P G. */
final class SamplingCost {
  public static void main(String[] args) throws Exception {
    int p = Integer.parseInt(args[1]);
    int g = Integer.parseInt(args[2]);
    List<Prompt> prompts = Arith.generate(Arith.Spec.defaults(), 42, p, Arith.Split.TRAIN);
    try (NDManager root = NDManager.newBaseManager(); LoadedModel m = Checkpoint.load(Path.of(args[0]), root)) {
      List<int[]> rows = new ArrayList<>();
      for (Prompt q : prompts) {
        int[] ids = m.tokenizer().encode(ChatTemplate.QWEN.prompt(q.problem() + "\n" + dev.retort.core.data.Completions.MATH_SUFFIX));
        for (int i = 0; i < g; i++) {
          rows.add(ids);
        }
      }
      Sampler s = m.sampler();
      for (int rep = 0; rep < 3; rep++) {
        for (int n : new int[] {1, 16, 32, 64}) {
          SamplingOptions o = new SamplingOptions(n, 1.0, 1.0, 0, 1, List.of(), List.of());
          long t0 = System.nanoTime();
          s.generate(rows, o);
          System.out.printf("rows %d prompt~%d new %d: %.3f s%n", rows.size(), rows.get(0).length, n, (System.nanoTime() - t0) / 1e9);
        }
      }
    }
  }
}
