package dev.retort.eval;

import dev.retort.core.config.ConfigError;
import dev.retort.core.config.RetortConfig;
import dev.retort.core.config.RunSettings;
import dev.retort.core.io.Json;
import dev.retort.core.run.Provenance;
import dev.retort.core.run.RunLayout;
import dev.retort.core.store.Stores;
import dev.retort.eval.report.ReportTable;
import dev.retort.eval.report.ReportWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The eval stage: every configured model on every configured benchmark, then the report.
 *
 * <p>Per (model, benchmark) an {@link EvalRunner} resumes from what is on disk; a folder already
 * complete for the same protocol is skipped without loading the model. With {@code eval.spark}
 * the chunks run as Spark tasks ({@link SparkEval}); otherwise in this JVM. A model that fails
 * does not stop the others: its completed samples stay on disk, the report marks it incomplete,
 * and the result says it failed, so a rerun finishes only what is missing.
 */
public final class EvalJob {
  private static final Logger LOG = LoggerFactory.getLogger(EvalJob.class);

  private EvalJob() {}

  /**
   * What the stage did.
   *
   * @param results one per (model, benchmark), models in config order
   * @param reportHtml the report's index.html
   * @param failures one line per model or benchmark that did not finish; empty when all did
   */
  public record Result(List<ModelResult> results, Path reportHtml, List<String> failures) {
    public boolean ok() {
      return failures.isEmpty();
    }
  }

  public static Result run(RetortConfig config) {
    return run(config, List.of());
  }

  /**
   * Evaluates, then writes the report with {@code extras} (tables the pipeline adds: compute
   * budget per arm, filter statistics) after the results.
   */
  public static Result run(RetortConfig config, List<ReportTable> extras) {
    EvalSettings s = EvalSettings.from(config);
    RunSettings run = RunSettings.from(config);
    RunLayout layout = run.layout();
    long seed = s.seed().orElse(run.seed());
    if (s.models().isEmpty()) {
      throw new ConfigError("eval.models", config.origin(), "list at least one model ({name, checkpoint | endpoint, role})");
    }
    if (s.benchmarks().isEmpty()) {
      throw new ConfigError("eval.benchmarks", config.origin(), "list at least one benchmark ({name, file | \"arith\", ...})");
    }
    LOG.info("eval config: {}", Json.toJson(config.resolved(EvalSettings.SECTION)));
    List<Benchmark> benchmarks = new ArrayList<>();
    for (EvalSettings.BenchmarkSpec b : s.benchmarks()) {
      Benchmark bench = Benchmark.load(b, s.protocol(), config);
      LOG.info("benchmark {}: {} problems from {}, k={}, temperature={}, top-p={}", bench.name(), bench.problems().size(),
          bench.source(), bench.protocol().k(), bench.protocol().temperature(), bench.protocol().topP());
      benchmarks.add(bench);
    }
    // Runners write local files: outputs on another store go through a local mirror, published after.
    Path evalDir = Stores.localMirror(layout.eval());
    // Resolve every model first: a missing checkpoint is a config error before any work starts.
    List<ModelRef> refs = new ArrayList<>();
    for (int i = 0; i < s.models().size(); i++) {
      try {
        refs.add(ModelRef.resolve(s.models().get(i), s, layout, config));
      } catch (IllegalArgumentException e) {
        throw new ConfigError("eval.models[" + i + "]", config.origin(), e.getMessage());
      }
    }
    Map<String, Object> resolved = config.resolved(EvalSettings.SECTION);
    List<ModelResult> results = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    Map<String, String> identities = new LinkedHashMap<>();
    for (ModelRef ref : refs) {
      String identity = ref.identity();
      identities.put(ref.name(), identity);
      List<EvalRunner> runners = new ArrayList<>();
      for (Benchmark b : benchmarks) {
        runners.add(new EvalRunner(ref.name(), ref.role(), identity, b, seed, evalDir.resolve(ref.name()).resolve(b.name())));
      }
      List<EvalRunner> todo = runners.stream().filter(r -> !r.isComplete()).toList();
      if (todo.isEmpty()) {
        LOG.info("eval {}: every benchmark already complete for this protocol; skipped", ref.name());
      } else {
        try {
          evaluate(ref, todo, s);
        } catch (Exception e) { // also SparkException, which Scala throws unchecked
          LOG.error("eval {} failed: {} (completed samples are saved; rerun to finish)", ref.name(), e.toString());
          failures.add(ref.name() + ": " + e.getMessage());
        }
      }
      for (EvalRunner r : runners) {
        ModelResult mr = r.finish(resolved);
        results.add(mr);
        if (!mr.complete()) {
          failures.add(ref.name() + "/" + r.benchmark().name() + ": incomplete, " + mr.samples() + "/" + mr.expected() + " samples");
        }
      }
    }
    Map<String, String> inputs = new LinkedHashMap<>();
    benchmarks.forEach(b -> inputs.put(b.name(), b.identity()));
    Provenance prov = Provenance.of("eval", config.hash(EvalSettings.SECTION), resolved, seed, inputs, identities);
    if (!layout.eval().isLocal()) {
      Stores.copyFromLocal(evalDir, layout.eval());
    }
    Path reportDir = s.reportDir().orElse(Stores.localMirror(layout.report()));
    Path html = ReportWriter.write(reportDir, new ReportWriter.Report(s.title(), results, trainingMetrics(s), extras, prov));
    if (s.reportDir().isEmpty() && !layout.report().isLocal()) {
      Stores.copyFromLocal(reportDir, layout.report());
      LOG.info("eval report published to {}", layout.report());
    }
    LOG.info("eval report: {}", html.toAbsolutePath());
    failures.forEach(f -> LOG.warn("eval not finished: {}", f));
    return new Result(results, html, failures);
  }

  private static void evaluate(ModelRef ref, List<EvalRunner> todo, EvalSettings s) {
    if (s.spark()) {
      SparkEval.run(SparkEval.session(s), ref, todo, s.chunkSize(), s.sparkPartitions());
      return;
    }
    // Prepare everything first so that the model is loaded only when some sample is missing.
    Map<EvalRunner, List<WorkItem>> pending = new LinkedHashMap<>();
    todo.forEach(r -> pending.put(r, r.prepare()));
    if (pending.values().stream().allMatch(List::isEmpty)) {
      return;
    }
    try (ModelUnderTest model = ref.open()) {
      for (Map.Entry<EvalRunner, List<WorkItem>> e : pending.entrySet()) {
        e.getKey().run(e.getValue(), model, s.chunkSize());
      }
    }
  }

  /**
   * Rebuilds the report from the samples on disk, loading no model: the configured models (in
   * config order, with their training curves) that have results under {@code <run>/eval/}.
   */
  public static Path report(RetortConfig config, List<ReportTable> extras) {
    EvalSettings s = EvalSettings.from(config);
    RunSettings run = RunSettings.from(config);
    RunLayout layout = run.layout();
    List<String> names = s.models().stream().map(EvalSettings.ModelSpec::name).toList();
    List<ModelResult> results = EvalResults.read(Stores.localCopy(layout.eval()), names, !names.isEmpty());
    return report(results, s.reportDir().orElse(layout.report().localPath("eval report")), s.title(), trainingMetrics(s), extras,
        config.hash(EvalSettings.SECTION), config.resolved(EvalSettings.SECTION), s.seed().orElse(run.seed()));
  }

  /** Writes a report over given results (the {@code eval report --eval-dir} path). */
  public static Path report(List<ModelResult> results, Path reportDir, String title, Map<String, Path> curves,
      List<ReportTable> extras, String configHash, Map<String, Object> config, long seed) {
    if (results.isEmpty()) {
      throw new IllegalArgumentException("no eval results found: nothing to report");
    }
    Map<String, String> identities = new LinkedHashMap<>();
    results.forEach(r -> identities.putIfAbsent(r.model(), r.identity()));
    Provenance prov = Provenance.of("eval-report", configHash, config, seed, Map.of(), identities);
    return ReportWriter.write(reportDir, new ReportWriter.Report(title, results, curves, extras, prov));
  }

  private static Map<String, Path> trainingMetrics(EvalSettings s) {
    Map<String, Path> out = new LinkedHashMap<>();
    s.trainingMetrics().forEach((k, v) -> out.put(k, Path.of(v)));
    return out;
  }
}
