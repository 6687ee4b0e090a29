package dev.retort.pipelines.cli;

import dev.retort.core.config.RetortConfig;
import dev.retort.core.io.Json;
import dev.retort.eval.AnswerGrouping;
import dev.retort.eval.EvalJob;
import dev.retort.eval.EvalResults;
import dev.retort.eval.Metrics;
import dev.retort.eval.MetricsSummary;
import dev.retort.eval.ModelResult;
import dev.retort.eval.Outcome;
import dev.retort.eval.OutcomeFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code retort eval --config FILE [--set k=v]...}: every model of {@code eval.models} on every
 * benchmark of {@code eval.benchmarks}, then the report. Subcommands: {@code metrics} (pass@k and
 * maj@k of a sample file, JSON on stdout) and {@code report} (rebuild the report from samples on
 * disk). Exit codes: 0 done, 1 some model or benchmark did not finish, 2 usage or config error.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = "Evaluate models on benchmarks and write a report.",
    subcommands = {EvalCommand.MetricsCommand.class, EvalCommand.ReportCommand.class})
public final class EvalCommand implements Callable<Integer> {
  @Option(names = "--config", paramLabel = "FILE", description = "HOCON config with an eval section.")
  Path config;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config value (repeatable).")
  List<String> overrides = new ArrayList<>();

  @Override
  public Integer call() {
    if (config == null && overrides.isEmpty()) {
      throw new IllegalArgumentException("eval needs --config FILE (or a subcommand: metrics, report); see retort eval --help");
    }
    RetortConfig cfg = RetortConfig.load(config, overrides);
    cfg.checkSections(dev.retort.pipelines.run.EmbeddedPipeline.knownSections());
    EvalJob.Result r = EvalJob.run(cfg);
    for (ModelResult m : r.results()) {
      System.out.println(line(m));
    }
    System.out.println("report: " + r.reportHtml().toAbsolutePath());
    r.failures().forEach(f -> System.err.println("retort eval: not finished: " + f));
    return r.ok() ? 0 : 1;
  }

  static String line(ModelResult m) {
    StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-16s %-12s", m.model(), m.benchmark()));
    if (m.metrics() == null) {
      return b.append(" no complete problem (").append(m.samples()).append('/').append(m.expected()).append(" samples)").toString();
    }
    MetricsSummary s = m.metrics();
    b.append(String.format(Locale.ROOT, " pass@1=%.4f maj@%d=%.4f", s.pass(1).mean(), m.k(), s.maj(m.k()).mean()));
    if (m.k() > 1) {
      b.append(String.format(Locale.ROOT, " pass@%d=%.4f", m.k(), s.pass(m.k()).mean()));
    }
    if (s.meanTokens() != null) {
      b.append(String.format(Locale.ROOT, " mean_tokens=%.1f", s.meanTokens().mean()));
    }
    b.append(String.format(Locale.ROOT, " no_answer=%.4f problems=%d", s.noAnswerRate().mean(), s.problems()));
    if (!m.complete()) {
      b.append(" INCOMPLETE ").append(m.samples()).append('/').append(m.expected());
    }
    return b.toString();
  }

  /** {@code retort eval metrics --input S.jsonl --k 1,2,4,8}: pass@K and maj@K as JSON on stdout. */
  @Command(name = "metrics", mixinStandardHelpOptions = true,
      description = {
        "Print pass@K and maj@K (JSON) of per-sample rows {problem_id, sample_index, answer, correct}",
        "(JSONL; optional completion_tokens) or of eval-sample Parquet.",
        "pass@K: unbiased estimator 1 - C(n-c,K)/C(n,K) over all n samples of a problem, mean over problems.",
        "maj@K: majority vote over the answers of the first K samples by sample_index; equivalent answers",
        "form one vote; no answer never wins; ties go to the answer whose first vote came earliest.",
        "A problem with fewer than K samples is an error that names it (exit 2)."})
  static final class MetricsCommand implements Callable<Integer> {
    @Option(names = "--input", required = true, paramLabel = "FILE", description = "JSONL rows or eval-sample Parquet (file or folder).")
    Path input;

    @Option(names = "--k", split = ",", paramLabel = "K", defaultValue = "1", description = "k values, e.g. 1,2,4,8 (default 1).")
    List<Integer> ks;

    @Option(names = "--grouping", defaultValue = "equivalent", paramLabel = "MODE",
        description = "How maj@K groups answers: equivalent (math equivalence, default) or exact (string after trimming).")
    String grouping;

    @Override
    public Integer call() {
      AnswerGrouping g = switch (grouping) {
        case "equivalent" -> AnswerGrouping.EQUIVALENT;
        case "exact" -> AnswerGrouping.EXACT;
        default -> throw new IllegalArgumentException("--grouping must be equivalent or exact, got '" + grouping + "'");
      };
      List<Outcome> rows = OutcomeFiles.read(input);
      MetricsSummary s = Metrics.summarize(rows, ks, g);
      Map<String, Object> out = new LinkedHashMap<>(s.toJson());
      out.put("grouping", grouping);
      out.put("input", input.toString());
      System.out.println(Json.toJson(out));
      return 0;
    }
  }

  /** {@code retort eval report}: rebuild the report from per-sample results on disk, loading no model. */
  @Command(name = "report", mixinStandardHelpOptions = true,
      description = {"(Re)build report/index.html, report.md and plots from existing per-sample results.",
        "Either --config FILE [--set k=v]... (models, order, training curves and report folder from the eval section)",
        "or --eval-dir DIR --output DIR (every <model>/<benchmark> folder found)."})
  static final class ReportCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "HOCON config with an eval section.")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config value (repeatable).")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--eval-dir", paramLabel = "DIR", description = "A run's eval/ folder (without --config).")
    Path evalDir;

    @Option(names = "--output", paramLabel = "DIR", description = "Report folder (with --eval-dir).")
    Path output;

    @Option(names = "--title", defaultValue = "Retort evaluation", description = "Report heading (with --eval-dir).")
    String title;

    @Option(names = "--training-metrics", paramLabel = "MODEL=FILE", description = "A trainer's metrics.jsonl (repeatable, with --eval-dir).")
    Map<String, Path> curves = new LinkedHashMap<>();

    @Override
    public Integer call() {
      Path html;
      if (evalDir != null) {
        if (config != null || !overrides.isEmpty()) {
          throw new IllegalArgumentException("give either --config or --eval-dir, not both");
        }
        if (output == null) {
          throw new IllegalArgumentException("--eval-dir needs --output DIR");
        }
        List<ModelResult> results = EvalResults.read(evalDir, List.of(), false);
        html = EvalJob.report(results, output, title, curves, List.of(),
            RetortConfig.sha256(evalDir.toAbsolutePath().toString()), Map.of("eval-dir", evalDir.toString()), 0);
      } else if (config != null || !overrides.isEmpty()) {
        html = EvalJob.report(RetortConfig.load(config, overrides), List.of());
      } else {
        throw new IllegalArgumentException("report needs --config FILE or --eval-dir DIR --output DIR");
      }
      System.out.println("report: " + html.toAbsolutePath());
      return 0;
    }
  }
}
