package dev.retort.train.grpo;

import ai.djl.ndarray.NDManager;
import dev.retort.core.data.Prompt;
import dev.retort.model.Checkpoint;
import dev.retort.model.LoadedModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Manual calibration run (not a test): java ... ToyExperiment WORK SFT_STEPS [grpo overrides...]. */
final class ToyExperiment {
  public static void main(String[] args) throws Exception {
    Path work = Files.createDirectories(Path.of(args[0]));
    int sftSteps = Integer.parseInt(args[1]);
    String[] over = java.util.Arrays.copyOfRange(args, 2, args.length);
    boolean lucky = Boolean.getBoolean("toy.lucky");
    List<Prompt> prompts = lucky ? GrpoFixtures.luckyDigit(10) : GrpoFixtures.repeatDigit();
    long t0 = System.nanoTime();
    Path base = GrpoFixtures.sftBase(work, lucky ? GrpoFixtures.luckyBaseRows(Integer.getInteger("toy.sevens", 3)) : prompts,
        sftSteps, 7);
    System.out.printf("base trained in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    System.out.println("base greedy: " + greedy(base, prompts));
    t0 = System.nanoTime();
    GrpoResult r = GrpoTrainer.run(GrpoFixtures.toyGrpo(base, over), prompts, work.resolve("grpo"));
    System.out.printf("grpo in %.1f s: %s%n", (System.nanoTime() - t0) / 1e9, r);
    System.out.println("grpo greedy: " + greedy(work.resolve("grpo"), prompts));
  }

  static PolicyEval.Result greedy(Path dir, List<Prompt> prompts) throws Exception {
    try (NDManager root = NDManager.newBaseManager(); LoadedModel m = Checkpoint.load(dir, root)) {
      return PolicyEval.greedy(m.model(), m.tokenizer(), m.stopTokenIds(), prompts, GrpoFixtures.TEMPLATE, 40, 32);
    }
  }
}
