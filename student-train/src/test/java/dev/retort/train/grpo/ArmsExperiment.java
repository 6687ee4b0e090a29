package dev.retort.train.grpo;

import ai.djl.ndarray.NDManager;
import dev.retort.core.data.Completions;
import dev.retort.core.data.Prompt;
import dev.retort.core.datasets.Arith;
import dev.retort.model.Checkpoint;
import dev.retort.model.LoadedModel;
import dev.retort.train.SftData;
import dev.retort.train.SftTrainer;
import dev.retort.train.TrainResult;
import dev.retort.train.TrainSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Manual experiment (not a test): the distilled-versus-RL comparison on the embedded arith task at
 * student size, with matched FLOPs. The distillation arm trains on the arith reference solutions
 * (the stand-in for filtered teacher traces when no teacher runs); the RL arm gets the same FLOPs.
 *
 * <pre>
 * java ... dev.retort.train.grpo.ArmsExperiment WORK TRAIN_N BASE_STEPS SFT_STEPS THREADS [grpo key=value ...]
 * </pre>
 */
final class ArmsExperiment {
  static final String TEMPLATE = "{problem}\n" + Completions.MATH_SUFFIX;

  public static void main(String[] args) throws Exception {
    Path work = Files.createDirectories(Path.of(args[0]));
    int trainN = Integer.parseInt(args[1]);
    int baseSteps = Integer.parseInt(args[2]);
    int sftSteps = Integer.parseInt(args[3]);
    int threads = Integer.parseInt(args[4]);
    String[] over = Arrays.copyOfRange(args, 5, args.length);
    List<Prompt> train = Arith.generate(Arith.Spec.defaults(), 42, trainN, Arith.Split.TRAIN);
    List<Prompt> test = Arith.generate(Arith.Spec.defaults(), 42, 100, Arith.Split.TEST);

    Path baseData = work.resolve("base-data");
    SftData.write(baseData, BaseData.answersOnly(train, TEMPLATE));
    long t0 = System.nanoTime();
    TrainResult base = SftTrainer.run(student("max-steps=" + baseSteps, "threads=" + threads, "lr=" + System.getProperty("base.lr", "1e-3"), "seq-len=" + Integer.getInteger("seq", 512), "batch-size=" + Integer.getInteger("bs", 16)), baseData, work.resolve("base"));
    System.out.printf(Locale.ROOT, "BASE %s in %.1f s%n", base, (System.nanoTime() - t0) / 1e9);

    Path sftData = work.resolve("sft-data");
    SftData.write(sftData, SftData.fromPrompts(train, TEMPLATE));
    t0 = System.nanoTime();
    TrainResult sft = SftTrainer.run(student("max-steps=" + sftSteps, "threads=" + threads, "init-from=\"" + work.resolve("base") + "\"",
        "lr=5e-4", "warmup-steps=5", "seq-len=" + Integer.getInteger("seq", 512), "batch-size=" + Integer.getInteger("bs", 16)), sftData, work.resolve("sft"));
    System.out.printf(Locale.ROOT, "SFT %s in %.1f s%n", sft, (System.nanoTime() - t0) / 1e9);

    List<String> g = new ArrayList<>(List.of("init-from=\"" + work.resolve("base") + "\"", "threads=" + threads,
        "budget-flops=" + sft.flops(), "steps=1000", "log-every=5"));
    g.addAll(Arrays.asList(over));
    GrpoSettings gs = GrpoSettings.defaults(g.toArray(new String[0]));
    t0 = System.nanoTime();
    GrpoResult rl = GrpoTrainer.run(gs, train, work.resolve("grpo"));
    System.out.printf(Locale.ROOT, "GRPO %s in %.1f s%n", rl, (System.nanoTime() - t0) / 1e9);

    for (String arm : List.of("base", "sft", "grpo")) {
      t0 = System.nanoTime();
      try (NDManager root = NDManager.newBaseManager(); LoadedModel m = Checkpoint.load(work.resolve(arm), root)) {
        PolicyEval.Result r = PolicyEval.greedy(m.model(), m.tokenizer(), m.stopTokenIds(), test, TEMPLATE, 160, 50);
        System.out.printf(Locale.ROOT, "EVAL %s greedy accuracy %.3f (%d/%d), mean length %.1f, well-formed %d (%.1f s)%n",
            arm, r.accuracy(), r.correct(), r.prompts(), r.meanLength(), r.wellFormed(), (System.nanoTime() - t0) / 1e9);
      }
    }
    System.out.printf(Locale.ROOT, "RESULT arms sft_flops=%.3e grpo_flops=%.3e grpo_steps=%d sft_tokens=%d grpo_tokens_sampled=%d "
        + "grpo_tokens_trained=%d sft_s=%.1f grpo_s=%.1f%n", sft.flops(), rl.flops(), rl.steps(), sft.tokens(),
        rl.tokensSampled(), rl.tokensTrained(), sft.wallSeconds(), rl.wallSeconds());
  }

  /** The default student architecture (student-train's train section), on the CPU. */
  static TrainSettings student(String... more) {
    String[] base = {"devices=cpu", "checkpoint-every=0", "log-every=25", "epochs=100"};
    String[] all = new String[base.length + more.length];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(more, 0, all, base.length, more.length);
    return TrainSettings.defaults(all);
  }
}
