package dev.retort.pipelines.run;

import dev.retort.core.config.RetortConfig;
import dev.retort.core.data.Prompt;
import dev.retort.core.io.Codecs;
import dev.retort.core.io.ParquetIO;
import dev.retort.core.run.Provenance;
import dev.retort.core.store.Stores;
import dev.retort.eval.EvalJob;
import dev.retort.eval.EvalSettings;
import dev.retort.eval.Intervals;
import dev.retort.eval.Metrics;
import dev.retort.eval.ModelResult;
import dev.retort.eval.Outcome;
import dev.retort.eval.OutcomeFiles;
import dev.retort.eval.report.ReportTable;
import dev.retort.eval.report.StudyReport;
import dev.retort.eval.report.TrainingMetrics;
import dev.retort.train.Snapshots;
import dev.retort.train.TrainResult;
import dev.retort.train.grpo.GrpoResult;
import dev.retort.train.grpo.GrpoSettings;
import dev.retort.train.grpo.GrpoTrainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The study stage ({@code pipeline.study = true}): distillation against RL from the same base at
 * matched training compute, under several seeds, evaluated along training.
 *
 * <p>Per seed s: the distilled arm is SFT on the filtered teacher traces from the base
 * ({@code train-student}, seed s); the RL arm is GRPO with the verifier reward from the same base
 * ({@code rl}, seed s) with {@code budget-flops} set to that distilled run's FLOPs, so the RL arm
 * ends once its sampling and updates have cost what the distillation cost. Both save snapshots at
 * {@code study.snapshots} of their run. On 2 cores the two arms overlap: the distilled run of seed
 * s trains in a child JVM while the RL run of seed s-1 trains here (one PyTorch thread each).
 *
 * <p>Then every snapshot, every final model, the teacher and the base are evaluated with the eval
 * section's protocol (its report of every model goes to {@code report/models/}), and the study's
 * report (accuracy against FLOPs with intervals across seeds, the paired bootstrap over problems,
 * pass@k curves, training curves, compute per arm) to {@code report/}.
 */
final class Study {
  private static final Logger LOG = LoggerFactory.getLogger(Study.class);
  static final String DISTILLED = "distilled";
  static final String RL = "rl";

  private Study() {}

  static String name(String arm, long seed) {
    return arm + "-s" + seed;
  }

  static StageResults.Compared run(PipelineContext ctx) throws Exception {
    StudySettings st = StudySettings.from(ctx.config());
    PipelineSettings p = PipelineSettings.from(ctx.config());
    Staging staging = ctx.staging();
    Path base = staging.input(ctx.layout().model("base")).toAbsolutePath();
    Path sft = staging.input(ctx.layout().sft());
    List<Prompt> prompts = ParquetIO.read(EmbeddedPipeline.data(ctx).resolve("distill.parquet"), Codecs.PROMPT);
    Map<String, Object> arms = new LinkedHashMap<>();
    arms.put("train-student.init-from", base);
    arms.put("train-student.snapshots", st.snapshots());
    arms.put("rl.init-from", base);
    arms.put("rl.prompt-template", p.template());
    arms.put("rl.threads", 1);
    arms.put("rl.snapshots", st.snapshots());
    RetortConfig cfg = ctx.config().with(arms);

    Map<Long, TrainResult> distilled = new LinkedHashMap<>();
    Map<Long, GrpoResult> rl = new LinkedHashMap<>();
    List<Long> seeds = st.seeds();
    for (int i = 0; i <= seeds.size(); i++) {
      EmbeddedPipeline.Alongside child = null;
      Path out = null;
      if (i < seeds.size()) {
        String n = name(DISTILLED, seeds.get(i));
        out = staging.output(ctx.layout().model(n));
        child = EmbeddedPipeline.startTrainer(ctx, n, cfg.with(Map.of("train-student.seed", seeds.get(i))), "train-student", sft, out);
      }
      if (i > 0) {
        long prev = seeds.get(i - 1);
        rl.put(prev, rlArm(ctx, cfg, prev, distilled.get(prev).flops(), prompts));
      }
      if (child != null) {
        String n = name(DISTILLED, seeds.get(i));
        distilled.put(seeds.get(i), EmbeddedPipeline.await(ctx, n, child, out));
        staging.publish(ctx.layout().model(n));
      }
    }
    return evaluate(ctx, st, distilled, rl);
  }

  private static GrpoResult rlArm(PipelineContext ctx, RetortConfig cfg, long seed, double budget, List<Prompt> prompts) {
    GrpoSettings s = GrpoSettings.from(cfg, "rl").withSeed(seed).withBudgetFlops(budget);
    var model = ctx.layout().model(name(RL, seed));
    LOG.info("study: RL arm, seed {}, budget {} FLOPs (the distilled run's)", seed, String.format(Locale.ROOT, "%.3e", budget));
    GrpoResult r = GrpoTrainer.run(s, prompts, ctx.staging().output(model));
    ctx.staging().publish(model);
    return r;
  }

  /** A model the study evaluates: its arm (or teacher/base), seed, fraction of its run (1: final), FLOPs. */
  record Evaluated(String name, String arm, long seed, double fraction, double flops, Path dir) {}

  private static StageResults.Compared evaluate(PipelineContext ctx, StudySettings st, Map<Long, TrainResult> distilled,
      Map<Long, GrpoResult> rl) {
    Staging staging = ctx.staging();
    List<Evaluated> models = new ArrayList<>();
    models.add(new Evaluated("teacher", "teacher", 0, 1, Double.NaN, EmbeddedPipeline.teacherDir(ctx)));
    models.add(new Evaluated("base", "base", 0, 1, 0, staging.input(ctx.layout().model("base"))));
    for (long seed : st.seeds()) {
      for (String arm : List.of(DISTILLED, RL)) {
        Path dir = staging.input(ctx.layout().model(name(arm, seed)));
        for (Snapshots.Point pt : Snapshots.read(dir.resolve(Snapshots.DIR))) {
          models.add(new Evaluated(name(arm, seed) + "-" + pt.dir().getFileName(), arm, seed, pt.fraction(), pt.flops(),
              pt.dir()));
        }
        double flops = arm.equals(DISTILLED) ? distilled.get(seed).flops() : rl.get(seed).flops();
        models.add(new Evaluated(name(arm, seed), arm, seed, 1, flops, dir));
      }
    }
    List<Map<String, Object>> specs = new ArrayList<>();
    for (Evaluated m : models) {
      specs.add(EmbeddedPipeline.model(m.name(), m.dir(), m.arm()));
    }
    Path reportDir = Stores.localMirror(ctx.layout().report());
    RetortConfig cfg = ctx.config().with(Map.of("eval.models", specs, "eval.report-dir", reportDir.resolve("models"),
        "eval.title", "Distilled versus RL: every model the study evaluated"));
    EvalJob.Result r = EvalJob.run(cfg);
    if (!r.ok()) {
      throw new IllegalStateException("study eval incomplete: " + String.join("; ", r.failures()));
    }
    EvalSettings es = EvalSettings.from(cfg);
    String bench = es.benchmarks().get(0).name();
    Path evalDir = Stores.localMirror(ctx.layout().eval());
    Map<String, Map<String, double[]>> scores = new LinkedHashMap<>(); // model -> problem -> [correct, samples]
    for (Evaluated m : models) {
      Map<String, double[]> byProblem = new TreeMap<>();
      for (Outcome o : OutcomeFiles.read(evalDir.resolve(m.name()).resolve(bench))) {
        double[] c = byProblem.computeIfAbsent(o.problemId(), k -> new double[2]);
        c[0] += o.correct() ? 1 : 0;
        c[1] += 1;
      }
      scores.put(m.name(), byProblem);
    }
    StudyStats stats = new StudyStats(st, models, scores, r.results());
    StageResults.Compared res = stats.result(distilled, rl, null);
    Map<String, String> inputs = new LinkedHashMap<>();
    inputs.put("benchmark " + bench, dev.retort.eval.Benchmark.load(es.benchmarks().get(0), es.protocol(), cfg).identity());
    inputs.put("prompts", EmbeddedPipeline.data(ctx).resolve("distill.parquet").toString());
    inputs.put("sft", ctx.layout().sft().toString());
    Map<String, String> ids = new LinkedHashMap<>();
    r.results().stream().filter(mr -> mr.model().equals("teacher") || mr.model().equals("base")
        || !mr.model().contains("-at-")).forEach(mr -> ids.put(mr.model(), mr.identity()));
    Provenance prov = Provenance.of("study", ctx.config().hash(StudySettings.SECTION, "train-student", "rl", "eval"),
        ctx.config().resolved(StudySettings.SECTION), ctx.run().seed(), inputs, ids);
    StudyReport report = stats.report(ctx, prov, res, distilled, rl);
    Path html = report.write(reportDir);
    if (!ctx.layout().report().isLocal()) {
      Stores.copyFromLocal(reportDir, ctx.layout().report());
    }
    LOG.info("study report: {}", html);
    return res.withReport(ctx.layout().report().isLocal() ? html.toString()
        : ctx.layout().report().resolve("index.html").toString());
  }

  /** The study's statistics over the evaluated models. */
  static final class StudyStats {
    final StudySettings st;
    final List<Evaluated> models;
    final Map<String, Map<String, double[]>> scores;
    final List<ModelResult> results;
    final List<String> problems;
    final int k;
    private Intervals.Interval diff;
    private Intervals.Interval gain;

    StudyStats(StudySettings st, List<Evaluated> models, Map<String, Map<String, double[]>> scores,
        List<ModelResult> results) {
      this.st = st;
      this.models = models;
      this.scores = scores;
      this.results = results;
      this.problems = new ArrayList<>(scores.get("teacher").keySet());
      this.k = (int) scores.get("teacher").values().stream().mapToDouble(c -> c[1]).min().orElse(1);
    }

    /** Per-problem pass@1 (correct share of the samples) of a model, in problem order. */
    double[] perProblem(String model) {
      Map<String, double[]> m = scores.get(model);
      double[] out = new double[problems.size()];
      for (int i = 0; i < out.length; i++) {
        double[] c = m.get(problems.get(i));
        if (c == null) {
          throw new IllegalStateException(model + " has no samples for problem " + problems.get(i));
        }
        out[i] = c[0] / c[1];
      }
      return out;
    }

    static double mean(double[] v) {
      double s = 0;
      for (double x : v) {
        s += x;
      }
      return s / v.length;
    }

    /** The per-problem pass@1 averaged over an arm's seeds (final models). */
    double[] armPerProblem(String arm) {
      double[] sum = new double[problems.size()];
      for (long seed : st.seeds()) {
        double[] v = perProblem(name(arm, seed));
        for (int i = 0; i < sum.length; i++) {
          sum[i] += v[i] / st.seeds().size();
        }
      }
      return sum;
    }

    Intervals.Interval armFinal(String arm) {
      double[] accs = st.seeds().stream().mapToDouble(s -> mean(perProblem(name(arm, s)))).toArray();
      return Intervals.mean(accs, st.confidence());
    }

    /** Unbiased pass@k, k = 1..K, averaged over problems (and over seeds for an arm). */
    double[] passAtK(List<String> names) {
      double[] out = new double[k];
      for (String n : names) {
        Map<String, double[]> m = scores.get(n);
        for (int kk = 1; kk <= k; kk++) {
          double sum = 0;
          for (String pid : problems) {
            double[] c = m.get(pid);
            sum += Metrics.passAtK((int) c[1], (int) c[0], kk);
          }
          out[kk - 1] += sum / problems.size() / names.size();
        }
      }
      return out;
    }

    /** Distilled minus RL, paired bootstrap over problems (computed once). */
    Intervals.Interval diff() {
      if (diff == null) {
        diff = Intervals.pairedBootstrap(armPerProblem(DISTILLED), armPerProblem(RL), st.bootstrap(), st.confidence(), 1);
      }
      return diff;
    }

    /** RL minus base, paired bootstrap over problems (computed once). */
    Intervals.Interval rlOverBase() {
      if (gain == null) {
        gain = Intervals.pairedBootstrap(armPerProblem(RL), perProblem("base"), st.bootstrap(), st.confidence(), 2);
      }
      return gain;
    }

    /** The study's numbers; {@code report} is where its page is (null before it is written). */
    StageResults.Compared result(Map<Long, TrainResult> distilled, Map<Long, GrpoResult> rl, String report) {
      Intervals.Interval d = armFinal(DISTILLED);
      Intervals.Interval r = armFinal(RL);
      double base = mean(perProblem("base"));
      Intervals.Interval diff = diff();
      double dFlops = distilled.values().stream().mapToDouble(TrainResult::flops).average().orElse(Double.NaN);
      double rFlops = rl.values().stream().mapToDouble(GrpoResult::flops).average().orElse(Double.NaN);
      // The criterion across seeds; the paired bootstrap against the base says whether the gain also
      // holds across problems, and is reported beside it.
      boolean learned = r.mean() - base > 2 * r.stderr();
      Intervals.Interval gain = rlOverBase();
      return new StageResults.Compared(d.mean(), r.mean(), base, mean(perProblem("teacher")), diff.mean(), diff.low(),
          diff.high(), rFlops / dFlops, st.seeds().size(), r.mean() - base, r.stderr(), gain.low(), gain.high(), learned,
          dFlops, rFlops, report);
    }

    StudyReport report(PipelineContext ctx, Provenance prov, StageResults.Compared res, Map<Long, TrainResult> distilled,
        Map<Long, GrpoResult> rl) {
      Intervals.Interval d = armFinal(DISTILLED);
      Intervals.Interval r = armFinal(RL);
      Intervals.Interval diff = diff();
      Intervals.Interval gain = rlOverBase();
      double base = res.baseAcc();
      double teacher = res.teacherAcc();
      String conf = pct0(st.confidence());
      List<String> findings = new ArrayList<>();
      findings.add(String.format(Locale.ROOT, "At matched training compute (RL over distilled FLOPs: %.3f), the distilled "
          + "student reaches %s and the RL student %s (pass@1, mean and %s interval across %d seeds).",
          res.flopsRatio(), pctI(d), pctI(r), conf, st.seeds().size()));
      findings.add(String.format(Locale.ROOT, "Distilled minus RL: %+.1f points; paired bootstrap over %d problems "
          + "(seed-averaged scores, %d resamples): %s interval [%+.1f, %+.1f].", 100 * diff.mean(), problems.size(),
          st.bootstrap(), conf, 100 * diff.low(), 100 * diff.high()));
      boolean learned = res.rlLearned();
      findings.add(String.format(Locale.ROOT, "The RL arm %s its base (%.1f%%): %+.1f points, %.1f standard errors "
          + "across seeds (the criterion: more than 2).", learned ? "ends above" : "does not end measurably above",
          100 * base, 100 * (r.mean() - base), r.stderr() > 0 ? (r.mean() - base) / r.stderr() : Double.POSITIVE_INFINITY));
      findings.add(String.format(Locale.ROOT, "Across problems, the paired bootstrap of RL minus base gives a %s interval "
          + "[%+.1f, %+.1f] points: %s.", conf, 100 * gain.low(), 100 * gain.high(), gain.low() > 0
          ? "the gain holds across problems too"
          : "the gain is consistent across seeds but not established across these problems (more problems would say)"));
      findings.add(String.format(Locale.ROOT, "Teacher: %.1f%%. Every model is scored on the same %d problems with %d "
          + "samples each; the report of every evaluated model is in models/index.html.", 100 * teacher,
          problems.size(), k));

      List<StudyReport.ArmCurve> curves = new ArrayList<>();
      List<List<String>> pointRows = new ArrayList<>();
      for (String arm : List.of(DISTILLED, RL)) {
        List<StudyReport.CurvePoint> pts = new ArrayList<>();
        List<Double> fractions = new ArrayList<>(st.snapshots());
        fractions.add(1.0);
        for (double f : fractions) {
          List<Double> accs = new ArrayList<>();
          List<Double> flops = new ArrayList<>();
          for (Evaluated m : models) {
            if (m.arm().equals(arm) && Math.abs(m.fraction() - f) < 1e-9) {
              accs.add(mean(perProblem(m.name())));
              flops.add(m.flops());
            }
          }
          if (accs.size() < st.seeds().size()) {
            continue; // a run that ended before this fraction (a budget met early) has no snapshot there
          }
          Intervals.Interval a = Intervals.mean(accs.stream().mapToDouble(Double::doubleValue).toArray(), st.confidence());
          double fl = flops.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
          pts.add(new StudyReport.CurvePoint(fl, a));
          pointRows.add(List.of(arm, String.format(Locale.ROOT, "%.4f", f), String.format(Locale.ROOT, "%.3e", fl),
              pct(a.mean()), interval(a)));
        }
        curves.add(new StudyReport.ArmCurve(arm, pts));
      }
      Map<String, Double> markers = new LinkedHashMap<>();
      markers.put("base", base);
      markers.put("teacher", teacher);

      Map<String, double[]> passAtK = new LinkedHashMap<>();
      passAtK.put(DISTILLED, passAtK(st.seeds().stream().map(s -> name(DISTILLED, s)).toList()));
      passAtK.put(RL, passAtK(st.seeds().stream().map(s -> name(RL, s)).toList()));
      passAtK.put("teacher", passAtK(List.of("teacher")));
      passAtK.put("base", passAtK(List.of("base")));

      Map<String, Map<String, List<double[]>>> training = new LinkedHashMap<>();
      Map<String, List<double[]>> loss = new LinkedHashMap<>();
      Map<String, List<double[]>> reward = new LinkedHashMap<>();
      for (long seed : st.seeds()) {
        TrainResult t = distilled.get(seed);
        Path dDir = ctx.staging().input(ctx.layout().model(name(DISTILLED, seed)));
        double perStep = t.steps() > 0 ? t.flops() / t.steps() : 0;
        List<double[]> l = new ArrayList<>();
        for (double[] pt : TrainingMetrics.read(dDir.resolve("metrics.jsonl")).getOrDefault("loss", List.of())) {
          l.add(new double[] {pt[0] * perStep, pt[1]});
        }
        loss.put(name(DISTILLED, seed), l);
        Path rDir = ctx.staging().input(ctx.layout().model(name(RL, seed)));
        Map<String, List<double[]>> m = TrainingMetrics.read(rDir.resolve("metrics.jsonl"));
        List<double[]> fl = m.getOrDefault("flops", List.of());
        List<double[]> acc = m.getOrDefault("accuracy", List.of());
        List<double[]> rw = new ArrayList<>();
        for (int i = 0; i < Math.min(fl.size(), acc.size()); i++) {
          rw.add(new double[] {fl.get(i)[1], acc.get(i)[1]});
        }
        reward.put(name(RL, seed), rw);
      }
      training.put("Distilled arm: training loss against FLOPs", loss);
      training.put("RL arm: accuracy of its own samples against FLOPs", reward);

      List<ReportTable> tables = new ArrayList<>();
      List<List<String>> finals = new ArrayList<>();
      finals.add(List.of("teacher", pct(teacher), "", "", pct(passAtK.get("teacher")[k - 1])));
      finals.add(List.of("base", pct(base), "", "", pct(passAtK.get("base")[k - 1])));
      for (String arm : List.of(DISTILLED, RL)) {
        Intervals.Interval a = armFinal(arm);
        List<String> per = st.seeds().stream().map(s -> pct(mean(perProblem(name(arm, s))))).toList();
        finals.add(List.of(arm, pct(a.mean()), interval(a), String.join(" ", per), pct(passAtK.get(arm)[k - 1])));
      }
      tables.add(new ReportTable("Final models: pass@1 (" + conf + " interval across seeds)",
          List.of("model", "pass@1 (%)", conf + " interval", "per seed", "pass@" + k + " (%)"), finals));
      tables.add(new ReportTable("Paired bootstrap over problems (seed-averaged per-problem pass@1)",
          List.of("comparison", "difference (points)", conf + " interval", "resamples"),
          List.of(List.of("distilled - rl", signed(diff.mean()), "[" + signed(diff.low()) + ", " + signed(diff.high()) + "]",
                  Integer.toString(st.bootstrap())),
              List.of("rl - base", signed(gain.mean()), "[" + signed(gain.low()) + ", " + signed(gain.high()) + "]",
                  Integer.toString(st.bootstrap())))));
      tables.add(new ReportTable("Accuracy along training (mean across seeds)",
          List.of("arm", "fraction of run", "FLOPs (mean)", "pass@1 (%)", conf + " interval"), pointRows));
      List<List<String>> budget = new ArrayList<>();
      for (long seed : st.seeds()) {
        TrainResult t = distilled.get(seed);
        budget.add(List.of(DISTILLED, Long.toString(seed), Long.toString(t.steps()), String.format(Locale.ROOT, "%.3e", t.flops()),
            Long.toString(t.tokens()), "", String.format(Locale.ROOT, "%.0f", t.wallSeconds())));
        GrpoResult g = rl.get(seed);
        budget.add(List.of(RL, Long.toString(seed), Long.toString(g.steps()), String.format(Locale.ROOT, "%.3e", g.flops()),
            Long.toString(g.tokensTrained()), Long.toString(g.tokensSampled()), String.format(Locale.ROOT, "%.0f", g.wallSeconds())));
      }
      tables.add(new ReportTable("Compute budget per arm and seed",
          List.of("arm", "seed", "steps", "FLOPs", "tokens trained", "tokens sampled", "seconds"), budget));
      tables.add(new ReportTable("How FLOPs are counted (ModelConfig: about 2N per token forward, 6N forward + backward)",
          List.of("arm", "counted"),
          List.of(List.of(DISTILLED, "trainingFlopsPerToken(row length) x trained tokens (prompt + completion of every packed row)"),
              List.of(RL, "sampling: flopsPerToken(len) x len per completion, every sampling round; reference (kl-coef > 0): "
                  + "flopsPerToken(len) x len per trained sequence; updates: trainingFlopsPerToken(len) x len x updates-per-batch; "
                  + "the run stops at the first step that reaches the distilled run's FLOPs"))));
      return new StudyReport("Distilled versus RL-trained students at matched compute", findings, curves, markers, passAtK,
          training, tables, prov);
    }

    private static String pct(double v) {
      return String.format(Locale.ROOT, "%.1f", 100 * v);
    }

    private static String pct0(double v) {
      return String.format(Locale.ROOT, "%.0f%%", 100 * v);
    }

    private static String signed(double v) {
      return String.format(Locale.ROOT, "%+.1f", 100 * v);
    }

    private static String interval(Intervals.Interval a) {
      return Double.isFinite(a.low()) ? "[" + pct(a.low()) + ", " + pct(a.high()) + "]" : "";
    }

    private static String pctI(Intervals.Interval a) {
      return pct(a.mean()) + "% " + interval(a);
    }
  }
}
