package dev.retort.pipelines.cli;

import dev.retort.core.config.RetortConfig;
import dev.retort.core.config.RunSettings;
import dev.retort.core.io.Json;
import dev.retort.core.run.RunLayout;
import dev.retort.train.SftTrainer;
import dev.retort.train.StepMetrics;
import dev.retort.train.TrainControl;
import dev.retort.train.TrainResult;
import dev.retort.train.TrainSettings;
import dev.retort.train.TrainingListener;
import dev.retort.train.TrlHandoff;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code retort train [--config FILE] [--set k=v]... [--data DIR] [--out DIR] [--section train]}:
 * SFT of a student with DJL (fp32, every GPU of one node or the CPU). Reads
 * {@code <work-dir>/<run-id>/filtered/sft} and writes {@code .../models/student} unless told
 * otherwise; a rerun with the same config and data does nothing, an interrupted one resumes.
 * {@code --handoff trl} writes an accelerate + TRL launch folder instead of training.
 * Prints a JSON summary on stdout.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = {"Train a student by SFT with DJL (resumable; fp32; one node).",
        "Writes a Hugging Face checkpoint plus provenance.json, stats.json, metrics.jsonl, loss.png, lr.png, _SUCCESS.",
        "--handoff trl writes launch.sh, accelerate_fsdp.yaml and train_trl.py for TRL instead."})
public final class TrainCommand implements Callable<Integer> {
  @Option(names = "--config", paramLabel = "FILE", description = "HOCON config (sections run, train); defaults when absent.")
  Path config;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config value (repeatable), e.g. train.lr=5e-4.")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--section", defaultValue = TrainSettings.SECTION, paramLabel = "PATH",
      description = "Config section with the training settings (default ${DEFAULT-VALUE}), e.g. pipeline.student.")
  String section;

  @Option(names = "--data", paramLabel = "DIR", description = "SFT Parquet folder (default: <run.work-dir>/<run.run-id>/filtered/sft).")
  Path data;

  @Option(names = "--out", paramLabel = "DIR", description = "Output folder (default: <run.work-dir>/<run.run-id>/models/student,"
      + " or .../models/student-trl-handoff with --handoff).")
  Path out;

  @Option(names = "--handoff", paramLabel = "TRAINER", description = "Write launch files for an external trainer instead of training: trl.")
  String handoff;

  @Option(names = "--halt-after-step", hidden = true, description = "Testing: halt the JVM (as a kill would) after this step.")
  long haltAfterStep;

  @Override
  public Integer call() {
    RetortConfig cfg = RetortConfig.load(config, overrides);
    RunLayout layout = RunSettings.from(cfg).layout();
    TrainSettings settings = TrainSettings.from(cfg, section);
    Path dataDir = data != null ? data : layout.sft();
    Map<String, Object> summary = new LinkedHashMap<>();
    if (handoff != null) {
      if (!handoff.equals("trl")) {
        throw new IllegalArgumentException("--handoff: unknown trainer '" + handoff + "' (supported: trl)");
      }
      Path dir = out != null ? out : layout.model("student-trl-handoff");
      List<Path> files = TrlHandoff.write(settings, dataDir, dir);
      summary.put("handoff", dir.toAbsolutePath().toString());
      summary.put("files", files.stream().map(p -> dir.relativize(p).toString()).toList());
      summary.put("run", "bash " + dir.resolve(TrlHandoff.LAUNCH));
      System.out.println(Json.toJson(summary));
      return 0;
    }
    Path outDir = out != null ? out : layout.model("student");
    List<TrainingListener> extra = new ArrayList<>();
    if (haltAfterStep > 0) {
      extra.add(new TrainingListener() {
        @Override
        public void onStep(StepMetrics m, TrainControl control) {
          if (m.step() >= haltAfterStep) {
            System.err.println("retort train: halting after step " + m.step() + " (--halt-after-step)");
            Runtime.getRuntime().halt(137);
          }
        }
      });
    }
    TrainResult r = SftTrainer.run(settings, dataDir, outDir, extra.toArray(TrainingListener[]::new));
    summary.put("output", outDir.toAbsolutePath().toString());
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
}
