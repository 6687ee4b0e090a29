package dev.retort.eval.report;

import dev.retort.core.io.Json;
import dev.retort.core.run.Provenance;
import dev.retort.eval.Intervals;
import java.awt.BasicStroke;
import java.awt.Color;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.DeviationRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

/**
 * The report of a comparison of training arms across seeds (the distilled-versus-RL study): accuracy
 * against training FLOPs with intervals across seeds, pass@k curves, training curves against FLOPs,
 * and the tables the caller computed (final accuracies, the paired bootstrap, compute per arm).
 * Written as index.html, report.md and PNGs into one folder, each file committed whole.
 *
 * @param title the heading
 * @param findings sentences stating the outcome (shown first, in order)
 * @param curves accuracy along training, one per arm
 * @param markers horizontal reference lines on the accuracy plot (base, teacher), value in [0, 1]
 * @param passAtK pass@k for k = 1..K per model or arm, values in [0, 1]
 * @param trainingCurves training metrics against FLOPs: chart title to (line name to [flops, value])
 * @param tables the caller's tables, in order
 * @param provenance config hash, seed, models, inputs, commit
 */
public record StudyReport(String title, List<String> findings, List<ArmCurve> curves, Map<String, Double> markers,
    Map<String, double[]> passAtK, Map<String, Map<String, List<double[]>>> trainingCurves, List<ReportTable> tables,
    Provenance provenance) {

  public static final String ACCURACY_VS_FLOPS_PNG = "accuracy_vs_flops.png";
  public static final String PASS_AT_K_PNG = "pass_at_k.png";

  /** One arm's accuracy at points along training: FLOPs spent and pass@1 (mean and interval across seeds). */
  public record ArmCurve(String arm, List<CurvePoint> points) {}

  /** A point of an arm's curve. */
  public record CurvePoint(double flops, Intervals.Interval accuracy) {}

  /** Writes the report into {@code dir}; returns index.html. */
  public Path write(Path dir) {
    List<String> images = new ArrayList<>();
    List<String> names = new ArrayList<>(curves.stream().map(ArmCurve::arm).toList());
    passAtK.keySet().forEach(k -> {
      if (!names.contains(k)) {
        names.add(k);
      }
    });
    Charts.save(accuracyVsFlops(names), dir.resolve(ACCURACY_VS_FLOPS_PNG));
    images.add(ACCURACY_VS_FLOPS_PNG);
    Charts.save(passAtKChart(names), dir.resolve(PASS_AT_K_PNG));
    images.add(PASS_AT_K_PNG);
    int i = 0;
    for (Map.Entry<String, Map<String, List<double[]>>> e : trainingCurves.entrySet()) {
      String png = "training_" + (++i) + ".png";
      List<String> lines = new ArrayList<>(e.getValue().keySet());
      Charts.save(Charts.smoothedCurves(e.getValue(), e.getKey(), "training FLOPs", e.getKey().toLowerCase(java.util.Locale.ROOT)
          .contains("loss") ? "loss" : "value", e.getKey().toLowerCase(java.util.Locale.ROOT).contains("loss"), lines),
          dir.resolve(png));
      images.add(png);
    }
    ReportWriter.writeText(dir.resolve(ReportWriter.MARKDOWN), markdown(images));
    ReportWriter.writeText(dir.resolve("provenance.json"), Json.toJson(provenance));
    Path html = dir.resolve(ReportWriter.HTML);
    ReportWriter.writeText(html, html(images));
    return html;
  }

  private JFreeChart accuracyVsFlops(List<String> names) {
    YIntervalSeriesCollection ds = new YIntervalSeriesCollection();
    for (ArmCurve c : curves) {
      YIntervalSeries s = new YIntervalSeries(c.arm());
      for (CurvePoint p : c.points()) {
        Intervals.Interval a = p.accuracy();
        double lo = Double.isFinite(a.low()) ? a.low() : a.mean();
        double hi = Double.isFinite(a.high()) ? a.high() : a.mean();
        s.add(p.flops(), 100 * a.mean(), 100 * lo, 100 * hi);
      }
      ds.addSeries(s);
    }
    JFreeChart chart = ChartFactory.createXYLineChart("Accuracy against training FLOPs (mean across seeds, shaded: "
        + "interval across seeds)", "training FLOPs (log scale)", "pass@1 (%)", ds, PlotOrientation.VERTICAL, true, false,
        false);
    XYPlot plot = chart.getXYPlot();
    DeviationRenderer r = new DeviationRenderer(true, true);
    for (int s = 0; s < ds.getSeriesCount(); s++) {
      java.awt.Paint paint = Charts.color(names, (String) ds.getSeriesKey(s));
      r.setSeriesPaint(s, paint);
      r.setSeriesFillPaint(s, paint);
      r.setSeriesStroke(s, new BasicStroke(2f));
    }
    r.setAlpha(0.2f);
    plot.setRenderer(r);
    plot.setDomainAxis(Charts.logAxis("training FLOPs (log scale)"));
    ((NumberAxis) plot.getRangeAxis()).setRange(0, 100);
    markers.forEach((name, v) -> {
      ValueMarker m = new ValueMarker(100 * v, Color.GRAY, new BasicStroke(1.5f, BasicStroke.CAP_BUTT,
          BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
      m.setLabel(name + String.format(java.util.Locale.ROOT, " %.1f%%", 100 * v));
      m.setLabelAnchor(org.jfree.chart.ui.RectangleAnchor.TOP_LEFT);
      m.setLabelTextAnchor(org.jfree.chart.ui.TextAnchor.BOTTOM_LEFT);
      plot.addRangeMarker(m);
    });
    Charts.style(chart);
    return chart;
  }

  private JFreeChart passAtKChart(List<String> names) {
    XYSeriesCollection ds = new XYSeriesCollection();
    passAtK.forEach((name, values) -> {
      XYSeries s = new XYSeries(name);
      for (int k = 1; k <= values.length; k++) {
        s.add(k, 100 * values[k - 1]);
      }
      ds.addSeries(s);
    });
    JFreeChart chart = ChartFactory.createXYLineChart("pass@k against k (final models; arms: mean across seeds)",
        "k (log scale)", "pass@k (%)", ds, PlotOrientation.VERTICAL, true, false, false);
    XYPlot plot = chart.getXYPlot();
    XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
    for (int s = 0; s < ds.getSeriesCount(); s++) {
      r.setSeriesPaint(s, Charts.color(names, (String) ds.getSeriesKey(s)));
      r.setSeriesStroke(s, new BasicStroke(2f));
    }
    plot.setRenderer(r);
    org.jfree.chart.axis.LogAxis x = new org.jfree.chart.axis.LogAxis("k (log scale)");
    x.setBase(2);
    x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    plot.setDomainAxis(x);
    ((NumberAxis) plot.getRangeAxis()).setRange(0, 100);
    Charts.style(chart);
    return chart;
  }

  String markdown(List<String> images) {
    StringBuilder b = new StringBuilder("# ").append(title).append("\n\n");
    findings.forEach(f -> b.append("- ").append(f).append('\n'));
    b.append('\n');
    images.forEach(img -> b.append("![").append(img).append("](").append(img).append(")\n\n"));
    for (ReportTable t : tables) {
      b.append("## ").append(t.title()).append("\n\n| ").append(String.join(" | ", t.columns())).append(" |\n|");
      t.columns().forEach(c -> b.append("---|"));
      b.append('\n');
      t.rows().forEach(r -> b.append("| ").append(String.join(" | ", r.stream().map(c -> c.replace("|", "\\|")).toList()))
          .append(" |\n"));
      b.append('\n');
    }
    b.append("## Provenance\n\n| name | value |\n|---|---|\n");
    provenanceRows().forEach((k, v) -> b.append("| ").append(k).append(" | ").append(v).append(" |\n"));
    return b.toString();
  }

  String html(List<String> images) {
    StringBuilder b = new StringBuilder();
    ReportWriter.head(b, title);
    b.append("<h1>").append(ReportWriter.esc(title)).append("</h1>\n<ul>\n");
    findings.forEach(f -> b.append("<li>").append(ReportWriter.esc(f)).append("</li>\n"));
    b.append("</ul>\n");
    for (String img : images) {
      b.append("<figure><img src=\"").append(ReportWriter.esc(img)).append("\" alt=\"").append(ReportWriter.esc(img))
          .append("\" width=\"").append(Charts.WIDTH).append("\" height=\"").append(Charts.HEIGHT).append("\"></figure>\n");
    }
    tables.forEach(t -> ReportWriter.htmlTable(b, t, "h2"));
    b.append("<h2>Provenance</h2>\n<table>");
    provenanceRows().forEach((k, v) -> b.append("<tr><th>").append(ReportWriter.esc(k)).append("</th><td>")
        .append(ReportWriter.esc(v)).append("</td></tr>\n"));
    b.append("</table>\n</body></html>\n");
    return b.toString();
  }

  private Map<String, String> provenanceRows() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("config hash", provenance.configHash());
    m.put("git commit", provenance.gitCommit());
    m.put("seed", String.valueOf(provenance.seed()));
    m.put("created", provenance.createdAt());
    provenance.inputs().forEach((k, v) -> m.put("input " + k, v));
    provenance.models().forEach((k, v) -> m.put("model " + k, v));
    return m;
  }
}
