package dev.retort.eval.report;

import dev.retort.eval.Estimate;
import dev.retort.eval.ModelResult;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.text.NumberFormat;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.StatisticalBarRenderer;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.statistics.DefaultStatisticalCategoryDataset;
import org.jfree.data.xy.XYIntervalSeries;
import org.jfree.data.xy.XYIntervalSeriesCollection;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The report's PNG plots, drawn headless with JFreeChart. A model keeps one color in every plot.
 * Error bars are +-1 standard error over problems.
 */
final class Charts {
  static {
    // No display on servers and CI: AWT must not try to open one.
    System.setProperty("java.awt.headless", "true");
  }

  static final int WIDTH = 900;
  static final int HEIGHT = 500;

  private static final Paint[] PALETTE = {
    new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728),
    new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f),
    new Color(0xbcbd22), new Color(0x17becf)
  };

  private Charts() {}

  static Paint color(List<String> models, String model) {
    int i = models.indexOf(model);
    return PALETTE[Math.floorMod(i, PALETTE.length)];
  }

  /** Grouped bars: pass@1 of each model (series) on each benchmark (category), with error bars. */
  static JFreeChart accuracy(List<ModelResult> results, List<String> models) {
    DefaultStatisticalCategoryDataset ds = new DefaultStatisticalCategoryDataset();
    for (ModelResult r : results) {
      if (r.metrics() != null) {
        Estimate e = r.metrics().pass(1);
        ds.add(100 * e.mean(), Double.isFinite(e.stderr()) ? 100 * e.stderr() : 0, r.model(), r.benchmark());
      }
    }
    JFreeChart chart = ChartFactory.createBarChart("Accuracy (pass@1, mean over samples) per model", "benchmark",
        "pass@1 (%)", ds, PlotOrientation.VERTICAL, true, false, false);
    CategoryPlot plot = chart.getCategoryPlot();
    StatisticalBarRenderer bars = new StatisticalBarRenderer();
    bars.setErrorIndicatorPaint(Color.DARK_GRAY);
    bars.setDrawBarOutline(false);
    bars.setShadowVisible(false);
    bars.setBarPainter(new org.jfree.chart.renderer.category.StandardBarPainter());
    for (int s = 0; s < ds.getRowCount(); s++) {
      bars.setSeriesPaint(s, color(models, (String) ds.getRowKey(s)));
    }
    bars.setDefaultItemLabelGenerator(new org.jfree.chart.labels.StandardCategoryItemLabelGenerator("{2}", NumberFormat.getNumberInstance()));
    plot.setRenderer(bars);
    NumberAxis y = (NumberAxis) plot.getRangeAxis();
    y.setRange(0, 100);
    CategoryAxis x = plot.getDomainAxis();
    x.setCategoryLabelPositions(CategoryLabelPositions.STANDARD);
    style(chart);
    return chart;
  }

  /**
   * Accuracy against mean response length: one point per (model, benchmark), labelled with the
   * benchmark, error bars on both axes.
   */
  static JFreeChart accuracyVsLength(List<ModelResult> results, List<String> models) {
    XYIntervalSeriesCollection ds = new XYIntervalSeriesCollection();
    java.util.Map<String, XYIntervalSeries> series = new java.util.LinkedHashMap<>();
    for (String m : models) {
      series.put(m, new XYIntervalSeries(m));
    }
    JFreeChart chart;
    List<XYTextAnnotation> labels = new java.util.ArrayList<>();
    for (ModelResult r : results) {
      if (r.metrics() == null || r.metrics().meanTokens() == null) {
        continue;
      }
      Estimate len = r.metrics().meanTokens();
      Estimate acc = r.metrics().pass(1);
      double dx = Double.isFinite(len.stderr()) ? len.stderr() : 0;
      double dy = Double.isFinite(acc.stderr()) ? 100 * acc.stderr() : 0;
      series.get(r.model()).add(len.mean(), len.mean() - dx, len.mean() + dx, 100 * acc.mean(),
          100 * acc.mean() - dy, 100 * acc.mean() + dy);
      XYTextAnnotation a = new XYTextAnnotation("  " + r.benchmark(), len.mean(), 100 * acc.mean());
      a.setTextAnchor(TextAnchor.BOTTOM_LEFT);
      a.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
      labels.add(a);
    }
    series.values().forEach(s -> {
      if (s.getItemCount() > 0) {
        ds.addSeries(s);
      }
    });
    chart = ChartFactory.createScatterPlot("Accuracy against response length", "mean response length (tokens)",
        "pass@1 (%)", ds, PlotOrientation.VERTICAL, true, false, false);
    XYPlot plot = chart.getXYPlot();
    XYErrorRenderer r = new XYErrorRenderer();
    r.setErrorPaint(Color.GRAY);
    for (int s = 0; s < ds.getSeriesCount(); s++) {
      r.setSeriesPaint(s, color(models, (String) ds.getSeriesKey(s)));
      r.setSeriesShape(s, new java.awt.geom.Ellipse2D.Double(-5, -5, 10, 10));
    }
    plot.setRenderer(r);
    labels.forEach(plot::addAnnotation);
    NumberAxis y = (NumberAxis) plot.getRangeAxis();
    y.setRange(-2, 102);
    ((NumberAxis) plot.getDomainAxis()).setAutoRangeIncludesZero(true);
    style(chart);
    return chart;
  }

  /**
   * One line per model of {@code key} (loss, reward, ...) against step, smoothed by a trailing
   * mean (per-step values of small batches are noise that hides the trend), steps on a log axis;
   * loss on a log axis too. The title names the window.
   */
  static JFreeChart trainingCurves(Map<String, List<double[]>> curves, String key, List<String> models) {
    return smoothedCurves(curves, "Training curves: " + key, "step", key, key.equals("loss"), models);
  }

  /**
   * Lines of [x, y] points, each smoothed by a trailing mean over max(1, n / 50) points, x on a
   * log axis (points at x <= 0 dropped), y on a log axis when {@code logY} and every value is
   * positive.
   */
  static JFreeChart smoothedCurves(Map<String, List<double[]>> curves, String title, String xLabel, String yLabel,
      boolean logY, List<String> models) {
    XYSeriesCollection ds = new XYSeriesCollection();
    int window = 1;
    boolean positive = true;
    for (Map.Entry<String, List<double[]>> e : curves.entrySet()) {
      List<double[]> pts = e.getValue().stream().filter(p -> p[0] > 0 && Double.isFinite(p[1])).toList();
      int w = Math.max(1, pts.size() / 50);
      window = Math.max(window, w);
      XYSeries s = new XYSeries(e.getKey(), true, true);
      double sum = 0;
      for (int i = 0; i < pts.size(); i++) {
        sum += pts.get(i)[1];
        if (i >= w) {
          sum -= pts.get(i - w)[1];
        }
        double y = sum / Math.min(i + 1, w);
        positive &= y > 0;
        s.addOrUpdate(pts.get(i)[0], y);
      }
      ds.addSeries(s);
    }
    String t = title + (window > 1 ? " (mean of the last " + window + " points)" : "");
    JFreeChart chart = ChartFactory.createXYLineChart(t, xLabel, yLabel, ds, PlotOrientation.VERTICAL, true, false, false);
    XYPlot plot = chart.getXYPlot();
    XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
    for (int s = 0; s < ds.getSeriesCount(); s++) {
      r.setSeriesPaint(s, color(models, (String) ds.getSeriesKey(s)));
      r.setSeriesStroke(s, new BasicStroke(2f));
    }
    plot.setRenderer(r);
    if (ds.getSeriesCount() > 0) {
      plot.setDomainAxis(logAxis(xLabel + " (log scale)"));
    }
    if (logY && positive && ds.getSeriesCount() > 0) {
      plot.setRangeAxis(logAxis(yLabel + " (log scale)"));
    } else {
      ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
    }
    style(chart);
    return chart;
  }

  /** A base-10 log axis with readable tick labels. */
  static org.jfree.chart.axis.LogAxis logAxis(String label) {
    org.jfree.chart.axis.LogAxis a = new org.jfree.chart.axis.LogAxis(label);
    a.setBase(10);
    a.setSmallestValue(1e-12);
    a.setNumberFormatOverride(new java.text.DecimalFormat("0.##E0"));
    return a;
  }

  static void style(JFreeChart chart) {
    chart.setBackgroundPaint(Color.WHITE);
    chart.getPlot().setBackgroundPaint(new Color(0xfafafa));
    if (chart.getPlot() instanceof XYPlot p) {
      p.setDomainGridlinePaint(new Color(0xdddddd));
      p.setRangeGridlinePaint(new Color(0xdddddd));
    } else if (chart.getPlot() instanceof CategoryPlot p) {
      p.setRangeGridlinePaint(new Color(0xdddddd));
    }
  }

  /** Writes a PNG, committed whole ({@link dev.retort.core.store.Store#commit}). */
  static void save(JFreeChart chart, Path file) {
    try {
      dev.retort.core.store.Location out = dev.retort.core.store.Location.local(file);
      dev.retort.core.store.Store store = dev.retort.core.store.Store.of(out);
      store.commit(out, target -> {
        try (var w = store.create(target)) {
          ChartUtils.writeChartAsPNG(w, chart, WIDTH, HEIGHT);
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }
}
