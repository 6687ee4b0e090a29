package dev.retort.pipelines.cli;

import dev.retort.core.config.ConfigError;
import dev.retort.core.config.RetortConfig;
import dev.retort.core.config.RunSettings;
import dev.retort.core.datasets.PromptReaders;
import dev.retort.core.datasets.PromptSet;
import dev.retort.core.io.Json;
import dev.retort.core.run.RunLayout;
import dev.retort.core.store.Location;
import dev.retort.core.store.Stores;
import dev.retort.train.SftTrainer;
import dev.retort.train.StepInfo;
import dev.retort.train.TrainControl;
import dev.retort.train.TrainResult;
import dev.retort.train.TrainSettings;
import dev.retort.train.TrainingListener;
import dev.retort.train.TrlHandoff;
import dev.retort.train.grpo.GrpoResult;
import dev.retort.train.grpo.GrpoSettings;
import dev.retort.train.grpo.GrpoTrainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code retort train [--config FILE] [--set k=v]... [--data PATH] [--out DIR] [--section train]}:
 * trains a student with DJL (fp32, every GPU of one node or the CPU) by the section's
 * {@code method}:
 * <ul>
 *   <li>{@code sft} (default): SFT on {@code <work-dir>/<run-id>/filtered/sft}, into
 *       {@code .../models/student};
 *   <li>{@code grpo}: GRPO with verifier rewards on prompts with reference answers (Parquet or
 *       JSONL, any layout {@link PromptReaders} reads; default {@code <work-dir>/<run-id>/prompts}),
 *       into {@code .../models/rl-student}, with the settings of the {@code grpo} section
 *       ({@code --grpo-section}). The starting policy is {@code grpo.init-from}, else the train
 *       section's {@code init-from}.
 * </ul>
 * Both write the same layout (HF checkpoint, provenance.json, stats.json, metrics.jsonl, PNGs,
 * _SUCCESS); a rerun with the same config and data does nothing, an interrupted one resumes.
 * {@code --handoff trl} (SFT only) writes an accelerate + TRL launch folder instead of training.
 * Prints a JSON summary on stdout.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = {"Train a student with DJL (resumable; fp32; one node): SFT, or GRPO with train.method = grpo.",
        "Writes a Hugging Face checkpoint plus provenance.json, stats.json, metrics.jsonl, loss.png, lr.png"
            + " (GRPO: reward.png too), _SUCCESS.",
        "--handoff trl writes launch.sh, accelerate_fsdp.yaml and train_trl.py for TRL instead (SFT only)."})
public final class TrainCommand implements Callable<Integer> {
  @Option(names = "--config", paramLabel = "FILE", description = "HOCON config (sections run, train, and grpo for GRPO); defaults when absent.")
  Path config;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config value (repeatable), e.g. train.lr=5e-4.")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--section", defaultValue = TrainSettings.SECTION, paramLabel = "PATH",
      description = "Config section with the training settings (default ${DEFAULT-VALUE}), e.g. train-student.")
  String section;

  @Option(names = "--grpo-section", defaultValue = GrpoSettings.SECTION, paramLabel = "PATH",
      description = "With method = grpo: config section with the GRPO settings (default ${DEFAULT-VALUE}), e.g. rl.")
  String grpoSection;

  @Option(names = "--data", paramLabel = "PATH", description = "SFT Parquet folder (default: <run.work-dir>/<run.run-id>/filtered/sft);"
      + " with method = grpo, prompts with reference answers, Parquet folder or file or JSONL (default: <run.work-dir>/<run.run-id>/prompts).")
  Path data;

  @Option(names = "--out", paramLabel = "DIR", description = "Output folder (default: <run.work-dir>/<run.run-id>/models/student,"
      + " .../models/rl-student with method = grpo, or .../models/student-trl-handoff with --handoff).")
  Path out;

  @Option(names = "--handoff", paramLabel = "TRAINER", description = "Write launch files for an external trainer instead of training: trl.")
  String handoff;

  @Option(names = "--halt-after-step", hidden = true, description = "Testing: halt the JVM (as a kill would) after this step.")
  long haltAfterStep;

  @Option(names = "--parent-pid", hidden = true, description = "Exit when this process is gone (set by retort run for its children).")
  long parentPid;

  @Override
  public Integer call() {
    ParentWatch.start(parentPid);
    RetortConfig cfg = RetortConfig.load(config, overrides);
    cfg.checkSections(dev.retort.pipelines.run.EmbeddedPipeline.knownSections());
    RunLayout layout = RunSettings.from(cfg).layout();
    TrainSettings settings = TrainSettings.from(cfg, section);
    if (settings.method() == TrainSettings.Method.GRPO) {
      if (handoff != null) {
        throw new IllegalArgumentException("--handoff writes an SFT launch folder; " + section + ".method is grpo");
      }
      return grpo(cfg, settings, layout);
    }
    if (data == null) {
      // The run's SFT view is read only when the filter completed it (--data reads any folder as it is).
      dev.retort.core.run.InputChecks.from(cfg).checkComplete(layout.filtered(), "filter",
          "retort filter" + (config != null ? " --config " + config : ""));
    }
    // Trainers read and write local files: data and output on another store go through the local cache.
    Path dataDir = data != null ? data : Stores.localCopy(layout.sft());
    Map<String, Object> summary = new LinkedHashMap<>();
    if (handoff != null) {
      if (!handoff.equals("trl")) {
        throw new IllegalArgumentException("--handoff: unknown trainer '" + handoff + "' (supported: trl)");
      }
      Path dir = out != null ? out : layout.model("student-trl-handoff").localPath("retort train");
      List<Path> files = TrlHandoff.write(settings, dataDir, dir);
      summary.put("handoff", dir.toAbsolutePath().toString());
      summary.put("files", files.stream().map(p -> dir.relativize(p).toString()).toList());
      summary.put("run", "bash " + dir.resolve(TrlHandoff.LAUNCH));
      System.out.println(Json.toJson(summary));
      return 0;
    }
    Location outLoc = out != null ? Location.local(out) : layout.model("student");
    Path outDir = Stores.localMirror(outLoc);
    TrainResult r = SftTrainer.run(settings, dataDir, outDir, halt());
    if (!outLoc.isLocal()) {
      Stores.copyFromLocal(outDir, outLoc);
    }
    summary.put("output", outLoc.isLocal() ? outDir.toAbsolutePath().toString() : outLoc.toString());
    summary.put("steps", r.steps());
    summary.put("tokens", r.tokens());
    summary.put("final_loss", r.finalLoss());
    summary.put("tokens_per_s", Math.round(r.tokensPerSecond() * 10) / 10.0);
    summary.put("wall_s", Math.round(r.wallSeconds() * 100) / 100.0);
    summary.put("parameters", r.parameterCount());
    summary.put("flops", r.flops());
    System.out.println(Json.toJson(summary));
    return 0;
  }

  /**
   * {@code method = grpo}: GRPO settings from their own section (its defaults resource underneath),
   * prompts from {@code --data}, and the trainer's own output layout and provenance.
   */
  private Integer grpo(RetortConfig cfg, TrainSettings train, RunLayout layout) {
    // One starting point for both methods: a train section's init-from serves GRPO too, unless
    // the GRPO section names its own.
    if (!cfg.raw().hasPath(grpoSection + ".init-from")) {
      if (train.initFrom().isEmpty()) {
        throw new ConfigError(grpoSection + ".init-from", cfg.origin(),
            "GRPO needs a starting checkpoint (set " + grpoSection + ".init-from or " + section + ".init-from)");
      }
      cfg = cfg.with(java.util.Map.of(grpoSection + ".init-from", train.initFrom().get().toString()));
    }
    GrpoSettings settings = GrpoSettings.from(cfg, grpoSection);
    Path promptsPath = data != null ? data : Stores.localCopy(layout.prompts());
    PromptSet prompts = PromptReaders.read(promptsPath);
    if (!prompts.rejects().isEmpty()) {
      System.err.println("retort train: " + prompts.rejects().size() + " malformed prompt rows in " + promptsPath
          + " skipped, e.g. " + prompts.rejects().get(0));
    }
    Location outLoc = out != null ? Location.local(out) : layout.model("rl-student");
    Path outDir = Stores.localMirror(outLoc);
    GrpoResult r = GrpoTrainer.run(settings, prompts.prompts(), outDir, halt());
    if (!outLoc.isLocal()) {
      Stores.copyFromLocal(outDir, outLoc);
    }
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("output", outLoc.isLocal() ? outDir.toAbsolutePath().toString() : outLoc.toString());
    summary.put("method", "grpo");
    summary.put("steps", r.steps());
    summary.put("reward_first", r.meanRewardFirst());
    summary.put("reward_last", r.meanRewardLast());
    summary.put("accuracy_first", r.accuracyFirst());
    summary.put("accuracy_last", r.accuracyLast());
    summary.put("tokens_sampled", r.tokensSampled());
    summary.put("tokens_trained", r.tokensTrained());
    summary.put("wall_s", Math.round(r.wallSeconds() * 100) / 100.0);
    summary.put("flops", r.flops());
    System.out.println(Json.toJson(summary));
    return 0;
  }

  /**
   * The listeners of {@code --halt-after-step}: one that halts the JVM (not exit: like a kill, no
   * shutdown hooks, no final save) after that step; tests of resume use it. None when unset.
   */
  private List<TrainingListener<StepInfo>> halt() {
    if (haltAfterStep <= 0) {
      return List.of();
    }
    return List.of(new TrainingListener<>() {
      @Override
      public void onStep(StepInfo m, TrainControl control) {
        if (m.step() >= haltAfterStep) {
          System.err.println("retort train: halting after step " + m.step() + " (--halt-after-step)");
          Runtime.getRuntime().halt(137);
        }
      }
    });
  }
}
