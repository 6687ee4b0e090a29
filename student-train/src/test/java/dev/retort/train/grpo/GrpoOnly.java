package dev.retort.train.grpo;

import ai.djl.ndarray.NDManager;
import dev.retort.core.data.Prompt;
import dev.retort.core.datasets.Arith;
import dev.retort.model.Checkpoint;
import dev.retort.model.LoadedModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Manual experiment (not a test): GRPO on arith from an existing base, greedy test accuracy before
 * and after. Args: OUT BASE_DIR TRAIN_N THREADS [grpo key=value ...].
 */
final class GrpoOnly {
  public static void main(String[] args) throws Exception {
    Path out = Path.of(args[0]);
    Path base = Path.of(args[1]);
    List<Prompt> train = Arith.generate(Arith.Spec.defaults(), 42, Integer.parseInt(args[2]), Arith.Split.TRAIN);
    List<Prompt> test = Arith.generate(Arith.Spec.defaults(), 42, 100, Arith.Split.TEST);
    List<String> g = new ArrayList<>(List.of("init-from=\"" + base + "\"", "threads=" + args[3], "log-every=10",
        "prompt-template=\"" + ArmsExperiment.TEMPLATE.replace("\\", "\\\\").replace("\n", "\\n") + "\""));
    g.addAll(Arrays.asList(args).subList(4, args.length));
    GrpoSettings s = GrpoSettings.defaults(g.toArray(new String[0]));
    if (!s.promptTemplate().equals(ArmsExperiment.TEMPLATE)) {
      throw new IllegalStateException("template mangled: " + s.promptTemplate());
    }
    long t0 = System.nanoTime();
    GrpoResult r = GrpoTrainer.run(s, train, out);
    System.out.printf(Locale.ROOT, "GRPO %s in %.1f s%n", r, (System.nanoTime() - t0) / 1e9);
    for (Path dir : List.of(base, out)) {
      try (NDManager root = NDManager.newBaseManager(); LoadedModel m = Checkpoint.load(dir, root)) {
        PolicyEval.Result e = PolicyEval.greedy(m.model(), m.tokenizer(), m.stopTokenIds(), test, ArmsExperiment.TEMPLATE, 160, 50);
        System.out.printf(Locale.ROOT, "EVAL %s greedy accuracy %.3f (%d/%d), well-formed %d%n", dir, e.accuracy(), e.correct(),
            e.prompts(), e.wellFormed());
      }
    }
  }
}
