package dev.retort.eval.report;

import dev.retort.core.io.Json;
import dev.retort.core.run.Provenance;
import dev.retort.eval.Estimate;
import dev.retort.eval.MetricsSummary;
import dev.retort.eval.ModelResult;
import dev.retort.eval.PromptTemplate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Writes the comparison report: {@code index.html} (one self-contained page that loads its PNGs
 * from the same folder), {@code report.md} (the same tables in Markdown), the plots
 * ({@code accuracy.png}, {@code accuracy_vs_length.png}, {@code training_<metric>.png}),
 * {@code results.json} (every number in machine form) and {@code provenance.json}.
 *
 * <p>Models appear side by side per benchmark in the order given (the pipeline passes teacher,
 * distilled students, then other checkpoints). A result whose samples are not all there is shown
 * and marked incomplete rather than left out, so a failed run cannot pass for a finished one.
 */
public final class ReportWriter {
  public static final String HTML = "index.html";
  public static final String MARKDOWN = "report.md";
  public static final String ACCURACY_PNG = "accuracy.png";
  public static final String LENGTH_PNG = "accuracy_vs_length.png";
  public static final String RESULTS_JSON = "results.json";

  /** Curves plotted from training metrics, when any file has them. */
  static final List<String> CURVE_KEYS = List.of("loss", "reward", "accuracy", "kl");

  private ReportWriter() {}

  /**
   * Everything a report shows.
   *
   * @param title page heading
   * @param results one per (model, benchmark); model order is the column order
   * @param trainingMetrics model name to the metrics.jsonl its trainer wrote (may be empty)
   * @param extras extra tables from the pipeline (compute budget, filter stats, ...)
   * @param provenance config hash, models and their identities, git commit
   */
  public record Report(String title, List<ModelResult> results, Map<String, Path> trainingMetrics,
      List<ReportTable> extras, Provenance provenance) {
    public Report {
      Objects.requireNonNull(title, "title");
      results = List.copyOf(results);
      trainingMetrics = trainingMetrics == null ? Map.of() : new LinkedHashMap<>(trainingMetrics);
      extras = extras == null ? List.of() : List.copyOf(extras);
      Objects.requireNonNull(provenance, "provenance");
    }

    /** The same report with more tables at the end. */
    public Report withExtras(List<ReportTable> more) {
      List<ReportTable> all = new ArrayList<>(extras);
      all.addAll(more);
      return new Report(title, results, trainingMetrics, all, provenance);
    }
  }

  /** Writes the report into {@code dir} and returns the path of index.html. */
  public static Path write(Path dir, Report report) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
    }
    List<String> models = models(report);
    List<String> images = new ArrayList<>();
    boolean anyMetrics = report.results().stream().anyMatch(r -> r.metrics() != null);
    if (anyMetrics) {
      Charts.save(Charts.accuracy(report.results(), models), dir.resolve(ACCURACY_PNG));
      images.add(ACCURACY_PNG);
      Charts.save(Charts.accuracyVsLength(report.results(), models), dir.resolve(LENGTH_PNG));
      images.add(LENGTH_PNG);
    }
    Map<String, Map<String, List<double[]>>> byKey = new LinkedHashMap<>();
    report.trainingMetrics().forEach((model, file) -> TrainingMetrics.read(file).forEach((key, points) -> {
      if (CURVE_KEYS.contains(key) && !points.isEmpty()) {
        byKey.computeIfAbsent(key, x -> new LinkedHashMap<>()).put(model, points);
      }
    }));
    List<String> curveModels = new ArrayList<>(models);
    report.trainingMetrics().keySet().stream().filter(m -> !curveModels.contains(m)).forEach(curveModels::add);
    for (String key : CURVE_KEYS) {
      if (byKey.containsKey(key)) {
        String png = "training_" + key + ".png";
        Charts.save(Charts.trainingCurves(byKey.get(key), key, curveModels), dir.resolve(png));
        images.add(png);
      }
    }
    report.provenance().write(dir);
    Json.write(dir.resolve(RESULTS_JSON), resultsJson(report));
    writeText(dir.resolve(MARKDOWN), markdown(report, images));
    Path html = dir.resolve(HTML);
    writeText(html, html(report, images));
    return html;
  }

  // ---------------------------------------------------------------- tables (shared by HTML and MD)

  private static List<String> models(Report report) {
    Set<String> s = new LinkedHashSet<>();
    report.results().forEach(r -> s.add(r.model()));
    return new ArrayList<>(s);
  }

  private static List<String> benchmarks(Report report) {
    Set<String> s = new LinkedHashSet<>();
    report.results().forEach(r -> s.add(r.benchmark()));
    return new ArrayList<>(s);
  }

  /** The results table of one benchmark: one row per model. */
  static ReportTable benchmarkTable(Report report, String benchmark) {
    List<ModelResult> rs = report.results().stream().filter(r -> r.benchmark().equals(benchmark)).toList();
    int k = rs.isEmpty() ? 1 : rs.get(0).k();
    boolean sameK = rs.stream().allMatch(r -> r.k() == k);
    String kk = sameK ? Integer.toString(k) : "k";
    List<String> cols = List.of("model", "role", "pass@1 (%)", "maj@" + kk + " (%)", "pass@" + kk + " (%)",
        "mean tokens", "no answer (%)", "problems", "k", "status");
    List<List<String>> rows = new ArrayList<>();
    for (ModelResult r : rs) {
      MetricsSummary m = r.metrics();
      String status = r.complete() ? "complete" : "incomplete: " + r.samples() + "/" + r.expected() + " samples";
      if (m == null) {
        rows.add(List.of(r.model(), r.role(), "-", "-", "-", "-", "-", "-", Integer.toString(r.k()), status));
        continue;
      }
      rows.add(List.of(r.model(), r.role(), pct(m.pass(1)), pct(m.maj(r.k())), pct(m.pass(r.k())),
          m.meanTokens() == null ? "-" : num(m.meanTokens()), pct(m.noAnswerRate()),
          Integer.toString(m.problems()), Integer.toString(r.k()), status));
    }
    return new ReportTable(benchmark, cols, rows);
  }

  static ReportTable protocolTable(Report report) {
    List<List<String>> rows = new ArrayList<>();
    Map<String, ModelResult> first = new LinkedHashMap<>();
    report.results().forEach(r -> first.putIfAbsent(r.benchmark(), r));
    for (ModelResult r : first.values()) {
      var p = r.protocol();
      rows.add(List.of(r.benchmark(), PromptTemplate.of(p.template()).text().replace("\n", "\\n"),
          fmt(p.temperature()), fmt(p.topP()), Integer.toString(p.topK()), Integer.toString(p.k()),
          Integer.toString(p.maxTokens()), p.limit() == 0 ? "all" : Integer.toString(p.limit())));
    }
    return new ReportTable("Protocol", List.of("benchmark", "template", "temperature", "top-p", "top-k", "k",
        "max tokens", "limit"), rows);
  }

  static ReportTable modelsTable(Report report) {
    Map<String, ModelResult> first = new LinkedHashMap<>();
    report.results().forEach(r -> first.putIfAbsent(r.model(), r));
    List<List<String>> rows = new ArrayList<>();
    first.values().forEach(r -> rows.add(List.of(r.model(), r.role(), r.identity())));
    return new ReportTable("Models", List.of("model", "role", "identity"), rows);
  }

  static ReportTable provenanceTable(Provenance p) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("config hash", p.configHash());
    m.put("git commit", p.gitCommit());
    m.put("seed", p.seed());
    m.put("created", p.createdAt());
    if (p.inputs() != null) {
      p.inputs().forEach((k, v) -> m.put("input " + k, v));
    }
    if (p.versions() != null) {
      p.versions().forEach((k, v) -> m.put("version " + k, v));
    }
    return ReportTable.ofPairs("Provenance", m);
  }

  private static String pct(Estimate e) {
    if (!Double.isFinite(e.mean())) {
      return "-";
    }
    String mean = String.format(Locale.ROOT, "%.1f", 100 * e.mean());
    return Double.isFinite(e.stderr()) ? mean + " ± " + String.format(Locale.ROOT, "%.1f", 100 * e.stderr()) : mean;
  }

  private static String num(Estimate e) {
    String mean = String.format(Locale.ROOT, "%.0f", e.mean());
    return Double.isFinite(e.stderr()) ? mean + " ± " + String.format(Locale.ROOT, "%.0f", e.stderr()) : mean;
  }

  private static String fmt(double v) {
    return v == Math.rint(v) ? String.format(Locale.ROOT, "%.1f", v) : Double.toString(v);
  }

  private static List<Map<String, Object>> resultsJson(Report report) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (ModelResult r : report.results()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("model", r.model());
      m.put("role", r.role());
      m.put("identity", r.identity());
      m.put("benchmark", r.benchmark());
      m.put("k", r.k());
      m.put("complete", r.complete());
      m.put("samples", r.samples());
      m.put("expected", r.expected());
      m.put("protocol", r.protocol());
      m.put("metrics", r.metrics() == null ? null : r.metrics().toJson());
      out.add(m);
    }
    return out;
  }

  // ---------------------------------------------------------------- Markdown

  static String markdown(Report report, List<String> images) {
    StringBuilder b = new StringBuilder();
    b.append("# ").append(report.title()).append("\n\n");
    b.append("pass@1 is the mean accuracy over the k samples of each problem; maj@k a majority vote over the ")
        .append("first k samples' extracted answers; pass@k the unbiased estimator of Chen et al. (2021). ")
        .append("Every value is a mean over problems ± one standard error over problems.\n\n");
    for (String bench : benchmarks(report)) {
      b.append("## ").append(bench).append("\n\n");
      mdTable(b, benchmarkTable(report, bench));
    }
    for (String img : images) {
      b.append("![").append(img).append("](").append(img).append(")\n\n");
    }
    for (ReportTable t : report.extras()) {
      b.append("## ").append(t.title()).append("\n\n");
      mdTable(b, t);
    }
    for (ReportTable t : List.of(protocolTable(report), modelsTable(report), provenanceTable(report.provenance()))) {
      b.append("## ").append(t.title()).append("\n\n");
      mdTable(b, t);
    }
    return b.toString();
  }

  private static void mdTable(StringBuilder b, ReportTable t) {
    b.append('|');
    t.columns().forEach(c -> b.append(' ').append(mdCell(c)).append(" |"));
    b.append("\n|");
    t.columns().forEach(c -> b.append("---|"));
    b.append('\n');
    for (List<String> row : t.rows()) {
      b.append('|');
      row.forEach(c -> b.append(' ').append(mdCell(c)).append(" |"));
      b.append('\n');
    }
    b.append('\n');
  }

  private static String mdCell(String s) {
    return s.replace("|", "\\|").replace("\n", " ");
  }

  // ---------------------------------------------------------------- HTML

  static String html(Report report, List<String> images) {
    StringBuilder b = new StringBuilder();
    head(b, report.title());
    Provenance p = report.provenance();
    b.append("<h1>").append(esc(report.title())).append("</h1>\n<p class=\"note\">config hash <code>")
        .append(esc(abbrev(p.configHash()))).append("</code> &middot; git <code>").append(esc(abbrev(p.gitCommit())))
        .append("</code> &middot; ").append(esc(p.createdAt())).append("</p>\n");
    b.append("<p class=\"note\">pass@1: mean accuracy over the k samples of each problem. maj@k: majority vote over the ")
        .append("extracted answers of the first k samples (equivalent answers grouped; no answer never wins; ties go ")
        .append("to the answer seen first). pass@k: unbiased estimator 1 - C(n-c,k)/C(n,k) of Chen et al. (2021). ")
        .append("Values are means over problems &plusmn; one standard error over problems.</p>\n");
    b.append("<h2>Results</h2>\n");
    for (String bench : benchmarks(report)) {
      htmlTable(b, benchmarkTable(report, bench), "h3");
    }
    if (!images.isEmpty()) {
      b.append("<h2>Plots</h2>\n");
      for (String img : images) {
        b.append("<figure><img src=\"").append(esc(img)).append("\" alt=\"").append(esc(img))
            .append("\" width=\"").append(Charts.WIDTH).append("\" height=\"").append(Charts.HEIGHT).append("\"></figure>\n");
      }
    }
    if (!report.extras().isEmpty()) {
      b.append("<h2>Pipeline</h2>\n");
      report.extras().forEach(t -> htmlTable(b, t, "h3"));
    }
    b.append("<h2>Protocol and provenance</h2>\n");
    htmlTable(b, protocolTable(report), "h3");
    htmlTable(b, modelsTable(report), "h3");
    htmlTable(b, provenanceTable(p), "h3");
    b.append("<details><summary>provenance.json</summary><pre>").append(esc(Json.toJson(p))).append("</pre></details>\n");
    b.append("</body></html>\n");
    return b.toString();
  }

  /** The page's head and style, and the opening body tag. */
  static void head(StringBuilder b, String title) {
    b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>")
        .append(esc(title)).append("</title>\n<style>\n")
        .append("body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1100px;color:#222}\n")
        .append("table{border-collapse:collapse;margin:0.5em 0 1.5em}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}\n")
        .append("th{background:#f0f0f0}td.n{text-align:right;font-variant-numeric:tabular-nums}\n")
        .append("tr.incomplete td{color:#a00}img{max-width:100%;border:1px solid #eee;margin:0.5em 0}\n")
        .append(".note{color:#555;font-size:0.9em}code{background:#f4f4f4;padding:1px 3px}\n")
        .append("</style></head><body>\n");
  }

  static void htmlTable(StringBuilder b, ReportTable t, String heading) {
    b.append('<').append(heading).append('>').append(esc(t.title())).append("</").append(heading).append(">\n<table><tr>");
    t.columns().forEach(c -> b.append("<th>").append(esc(c)).append("</th>"));
    b.append("</tr>\n");
    int status = t.columns().indexOf("status");
    for (List<String> row : t.rows()) {
      boolean incomplete = status >= 0 && row.get(status).startsWith("incomplete");
      b.append(incomplete ? "<tr class=\"incomplete\">" : "<tr>");
      for (String c : row) {
        b.append(c.matches("[-+0-9.,% ±]+") ? "<td class=\"n\">" : "<td>").append(esc(c)).append("</td>");
      }
      b.append("</tr>\n");
    }
    b.append("</table>\n");
  }

  private static String abbrev(String s) {
    return s == null ? "unknown" : s.length() > 16 ? s.substring(0, 16) : s;
  }

  static String esc(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder b = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  static void writeText(Path file, String text) {
    try {
      dev.retort.core.store.Location out = dev.retort.core.store.Location.local(file);
      dev.retort.core.store.Store store = dev.retort.core.store.Store.of(out);
      store.commit(out, target -> {
        try (var w = store.create(target)) {
          w.write(text.getBytes(StandardCharsets.UTF_8));
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /** A key/value table of a stage's stats (e.g. the filter's stats.json), keys sorted. */
  public static ReportTable statsTable(String title, Map<String, ?> stats) {
    return ReportTable.ofPairs(title, new TreeMap<>(stats));
  }
}
