package dev.retort.pipelines.cli;

import dev.retort.core.config.RetortConfig;
import dev.retort.pipelines.run.EmbeddedPipeline;
import dev.retort.pipelines.run.Pipeline;
import dev.retort.pipelines.run.PipelineContext;
import dev.retort.pipelines.run.PipelineSettings;
import dev.retort.pipelines.run.StageResults;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code retort run CONFIG}: every stage, in order, skipping those already complete for this
 * config. Ends with {@code RESULT e2e ...}.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = {"Run the whole pipeline: prompts, teacher, generate, filter, base, student(s), rl, eval.",
        "A rerun skips completed stages; --from STAGE reruns from that stage on."})
public final class RunCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "CONFIG", description = "HOCON config file, e.g. conf/local.conf")
  Path config;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config value (repeatable).")
  List<String> sets = new ArrayList<>();

  @Option(names = "--from", paramLabel = "STAGE", description = "Rerun this stage and every stage after it.")
  String from;

  @Option(names = "--until", paramLabel = "STAGE", description = "Stop after this stage (e.g. filter, to inspect the data first).")
  String until;

  @Option(names = "--allow-incomplete", description = "Let stages read upstream folders without a matching _SUCCESS "
      + "(sets inputs.allow-incomplete; recorded in provenance).")
  boolean allowIncomplete;

  @picocli.CommandLine.ParentCommand dev.retort.pipelines.RetortCli root;

  @Override
  public Integer call() throws Exception {
    List<String> all = new ArrayList<>(sets);
    if (allowIncomplete) {
      all.add("inputs.allow-incomplete=true");
    }
    RetortConfig cfg = RetortConfig.load(config, all);
    // Every section and key of every stage, before any work: a typo fails in a second, not at its stage.
    EmbeddedPipeline.check(cfg);
    PipelineSettings settings = PipelineSettings.from(cfg);
    Pipeline pipeline = EmbeddedPipeline.build(settings);
    PipelineContext ctx = new PipelineContext(cfg);
    boolean verbose = root != null && root.verbose();
    System.err.println("retort run: config " + config + " (hash " + cfg.hash().substring(0, 12) + ")"
        + (verbose ? "" : "; --verbose prints it resolved"));
    if (verbose) {
      System.err.println(cfg.render(EmbeddedPipeline.SECTIONS.toArray(String[]::new)));
    }
    System.err.println("retort run: stages " + String.join(" -> ", pipeline.stageNames()) + "; output " + ctx.layout().root());
    Map<String, Record> results = pipeline.run(ctx, from, until);
    // The JVM's own start counts: wall_s is what the user waited for, less the launcher's build.
    double wall = (System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime()) / 1000.0;
    for (String line : summary(ctx, pipeline, results, until)) {
      System.err.println(line);
    }
    System.out.println(resultLine(results, wall));
    return 0;
  }

  /** The closing lines: where the outputs and the report are, and what to run next. */
  static List<String> summary(PipelineContext ctx, Pipeline pipeline, Map<String, Record> results, String until) {
    List<String> out = new ArrayList<>();
    out.add("retort run: outputs in " + ctx.layout().root() + " (traces/, filtered/, models/, eval/, report/)");
    String report = results.get("eval") instanceof StageResults.Evaluated e ? e.report()
        : results.get("study") instanceof StageResults.Compared c ? c.report() : null;
    if (report != null) {
      out.add("retort run: report " + report);
    }
    List<String> stages = pipeline.stageNames();
    if (until != null && !until.equals(stages.get(stages.size() - 1))) {
      out.add("retort run: stopped after " + until + "; next: the same command without --until continues from "
          + stages.get(stages.indexOf(until) + 1));
    } else {
      out.add("retort run: next: open the report; a rerun skips completed stages, --from STAGE reruns from one ("
          + String.join(", ", stages) + ")");
    }
    return out;
  }

  static String resultLine(Map<String, Record> results, double wallSeconds) {
    if (results.get("study") instanceof StageResults.Compared study) {
      return studyLine(study, wallSeconds);
    }
    Map<String, Double> acc = results.get("eval") instanceof StageResults.Evaluated e ? e.accuracy() : Map.of();
    Double teacher = acc.get("teacher");
    Double student = acc.get("student");
    Double unfiltered = acc.get("student-unfiltered");
    StringBuilder b = new StringBuilder("RESULT e2e");
    append(b, "teacher_acc", teacher);
    append(b, "student_acc", student);
    append(b, "student_unfiltered_acc", unfiltered);
    append(b, "student_over_teacher", teacher != null && student != null && teacher > 0 ? student / teacher : null);
    append(b, "filter_gain", student != null && unfiltered != null ? student - unfiltered : null);
    append(b, "rl_student_acc", acc.get("rl-student"));
    append(b, "base_acc", acc.get("base"));
    b.append(" wall_s=").append(String.format(Locale.ROOT, "%.1f", wallSeconds));
    return b.toString();
  }

  /** {@code RESULT distill-vs-rl ...} of the study (pipeline.study = true). */
  static String studyLine(StageResults.Compared s, double wallSeconds) {
    StringBuilder b = new StringBuilder("RESULT distill-vs-rl");
    append(b, "distilled_acc", s.distilledAcc());
    append(b, "rl_acc", s.rlAcc());
    append(b, "base_acc", s.baseAcc());
    append(b, "diff", s.diff());
    append(b, "diff_ci_low", s.diffCiLow());
    append(b, "diff_ci_high", s.diffCiHigh());
    append(b, "flops_ratio", s.flopsRatio());
    b.append(" seeds=").append(s.seeds());
    append(b, "rl_gain", s.rlGain());
    append(b, "rl_gain_se", s.rlGainSe());
    append(b, "rl_gain_ci_low", s.rlGainCiLow());
    append(b, "rl_gain_ci_high", s.rlGainCiHigh());
    append(b, "teacher_acc", s.teacherAcc());
    b.append(" rl_learned=").append(s.rlLearned());
    b.append(" wall_s=").append(String.format(Locale.ROOT, "%.1f", wallSeconds));
    return b.toString();
  }

  private static void append(StringBuilder b, String key, Double v) {
    if (v != null) {
      b.append(' ').append(key).append('=').append(String.format(Locale.ROOT, "%.4f", v));
    }
  }
}
