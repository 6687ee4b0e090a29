package dev.retort.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.config.RetortConfig;
import dev.retort.pipelines.run.EmbeddedPipeline;
import dev.retort.pipelines.run.PipelineSettings;
import dev.retort.pipelines.run.StudySettings;
import dev.retort.train.Snapshots;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distilled-versus-RL study (pipeline.study = true) at test size: both arms under two seeds from
 * one base, the RL arm held to each seed's distilled FLOPs, snapshots evaluated, the study report and
 * its RESULT line; the research config itself binds.
 */
class StudyRunTest {
  @TempDir Path dir;

  @Test
  void bothArmsAtMatchedComputeUnderTwoSeedsWithReportAndResult() throws Exception {
    List<String> a = new ArrayList<>(List.of("run", Path.of("..", "conf", "local.conf").toString(),
        "--set", "run.work-dir=" + dir.resolve("work"),
        "--set", "run.run-id=study",
        "--set", "pipeline.teacher-cache=" + dir.resolve("cache")));
    a.addAll(TinyPipeline.settings());
    a.addAll(List.of("--set", "pipeline.study=true", "--set", "pipeline.base-worked=0.5",
        "--set", "study.seeds=[3, 4]", "--set", "study.snapshots=[0.5]", "--set", "study.bootstrap=200",
        "--set", "train-student.epochs=4",
        "--set", "rl.steps=200", "--set", "rl.group-size=2", "--set", "rl.prompts-per-step=1",
        "--set", "eval.benchmarks=[{name=arith, file=arith, template=plain, k=2, max-tokens=16}]"));
    String out = TinyPipeline.run(a.toArray(String[]::new));

    Matcher m = Pattern.compile("RESULT distill-vs-rl (.*)").matcher(out);
    assertTrue(m.find(), out);
    Map<String, String> kv = new LinkedHashMap<>();
    for (String pair : m.group(1).trim().split(" ")) {
      String[] p = pair.split("=", 2);
      kv.put(p[0], p[1]);
    }
    for (String key : List.of("distilled_acc", "rl_acc", "base_acc", "diff", "diff_ci_low", "diff_ci_high", "flops_ratio",
        "seeds", "rl_gain", "rl_gain_se", "rl_gain_ci_low", "rl_gain_ci_high", "rl_learned", "wall_s")) {
      assertTrue(kv.containsKey(key), key + " in " + kv);
    }
    assertEquals("2", kv.get("seeds"));
    double ratio = Double.parseDouble(kv.get("flops_ratio"));
    assertTrue(ratio >= 1.0, "the RL arm spends at least the distilled FLOPs: " + ratio);
    double diff = Double.parseDouble(kv.get("diff"));
    assertEquals(Double.parseDouble(kv.get("distilled_acc")) - Double.parseDouble(kv.get("rl_acc")), diff, 1e-3);
    assertTrue(Double.parseDouble(kv.get("diff_ci_low")) <= diff && diff <= Double.parseDouble(kv.get("diff_ci_high")));

    Path run = dir.resolve("work").resolve("study");
    for (String model : List.of("distilled-s3", "distilled-s4", "rl-s3", "rl-s4")) {
      Path md = run.resolve("models").resolve(model);
      assertTrue(Files.isRegularFile(md.resolve("_SUCCESS")), model);
      assertEquals(1, Snapshots.read(md.resolve(Snapshots.DIR)).size(), model + " has its half-way snapshot");
      assertTrue(Files.isDirectory(run.resolve("eval").resolve(model + "-at-0.5000")), model + "'s snapshot is evaluated");
    }
    Path report = run.resolve("report");
    String html = Files.readString(report.resolve("index.html"));
    assertTrue(html.contains("paired bootstrap") && html.contains("Compute budget per arm"), "study tables");
    for (String png : List.of("accuracy_vs_flops.png", "pass_at_k.png", "training_1.png", "training_2.png")) {
      assertTrue(Files.size(report.resolve(png)) > 1000, png);
      assertTrue(html.contains(png), png + " on the page");
    }
    assertTrue(Files.isRegularFile(report.resolve("models").resolve("index.html")), "every model's eval report");
  }

  @Test
  void theResearchConfigBindsWithAtLeastThreeSeeds() {
    RetortConfig cfg = RetortConfig.load(Path.of("..", "conf", "distill-vs-rl.conf"), List.of());
    EmbeddedPipeline.check(cfg);
    assertTrue(PipelineSettings.from(cfg).study());
    assertTrue(StudySettings.from(cfg).seeds().size() >= 3);
    assertEquals(List.of("prompts", "teacher", "generate", "filter", "base", "study"),
        EmbeddedPipeline.build(PipelineSettings.from(cfg)).stageNames());
  }
}
