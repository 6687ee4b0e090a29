package dev.retort.train;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Per-step curves of a run (PNG, jfreechart) from its metrics.jsonl: the SFT trainer's and the
 * GRPO trainer's {@code loss.png} and {@code lr.png} ({@link #write}), and any other chart of
 * metrics keys ({@link #plot}, e.g. GRPO's reward.png). Both trainers' metrics lines carry
 * {@code step}, {@code loss} and {@code lr}, so one reader serves both.
 */
public final class TrainingCurves {
  public static final String LOSS_PNG = "loss.png";
  public static final String LR_PNG = "lr.png";
  private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728)};

  /**
   * One line of a chart.
   *
   * @param label legend entry (shown when a chart has more than one curve)
   * @param key metrics.jsonl key plotted against {@code step}; rows where it is missing or not
   *     finite are left out
   */
  public record Curve(String label, String key) {}

  private TrainingCurves() {}

  /** Writes {@code loss.png} and {@code lr.png} into {@code dir}; returns false when there are no rows. */
  public static boolean write(Path metricsJsonl, Path dir, String title) {
    List<JsonNode> rows = rows(metricsJsonl);
    if (rows.isEmpty()) {
      return false;
    }
    plot(rows, dir.resolve(LOSS_PNG), title + ": training loss", "loss (nats per completion token)", List.of(new Curve("loss", "loss")));
    plot(rows, dir.resolve(LR_PNG), title + ": learning rate", "learning rate", List.of(new Curve("lr", "lr")));
    return true;
  }

  /**
   * Writes one chart of {@code curves} over steps into {@code png} (atomically: a reader never
   * sees half a file); false, and no file, when none of the curves has a point.
   */
  public static boolean plot(Path metricsJsonl, Path png, String title, String yLabel, List<Curve> curves) {
    return plot(rows(metricsJsonl), png, title, yLabel, curves);
  }

  /** The well-formed rows of a metrics file (none when it is absent); a torn last line is skipped. */
  private static List<JsonNode> rows(Path metricsJsonl) {
    return Files.isRegularFile(metricsJsonl) ? MetricsJsonl.read(metricsJsonl) : List.of();
  }

  private static boolean plot(List<JsonNode> rows, Path png, String title, String yLabel, List<Curve> curves) {
    XYSeriesCollection data = new XYSeriesCollection();
    boolean any = false;
    // Per-step values of small batches are noise around the trend: each line is a trailing mean
    // over max(1, n / 50) steps (named in the title), so the trend reads at a glance.
    int window = Math.max(1, rows.size() / 50);
    boolean positive = true;
    for (Curve c : curves) {
      XYSeries s = new XYSeries(c.label());
      java.util.ArrayDeque<Double> recent = new java.util.ArrayDeque<>();
      double sum = 0;
      for (JsonNode r : rows) {
        double v = r.path(c.key()).asDouble(Double.NaN);
        if (Double.isFinite(v)) {
          recent.addLast(v);
          sum += v;
          if (recent.size() > window) {
            sum -= recent.removeFirst();
          }
          double y = sum / recent.size();
          positive &= y > 0;
          s.add(r.path("step").asLong(), y);
        }
      }
      any |= !s.isEmpty();
      data.addSeries(s);
    }
    if (!any) {
      return false;
    }
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true"); // no display on servers
    }
    String shown = window > 1 ? title + " (mean of the last " + window + " steps)" : title;
    JFreeChart chart = ChartFactory.createXYLineChart(shown, "step", yLabel, data, PlotOrientation.VERTICAL,
        curves.size() > 1, false, false);
    XYPlot plot = chart.getXYPlot();
    // Loss falls over orders of magnitude early and by small amounts late: a log axis shows both.
    if (positive && curves.stream().allMatch(c -> c.key().equals("loss"))) {
      org.jfree.chart.axis.LogAxis y = new org.jfree.chart.axis.LogAxis(yLabel + " (log scale)");
      y.setNumberFormatOverride(new java.text.DecimalFormat("0.###"));
      plot.setRangeAxis(y);
    }
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    for (int i = 0; i < curves.size(); i++) {
      plot.getRenderer().setSeriesPaint(i, PALETTE[i % PALETTE.length]);
      plot.getRenderer().setSeriesStroke(i, new BasicStroke(1.5f));
    }
    try {
      Path tmp = png.resolveSibling("." + png.getFileName() + ".tmp");
      ChartUtils.saveChartAsPNG(tmp.toFile(), chart, 800, 450);
      Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + png + ": " + e.getMessage(), e);
    }
    return true;
  }
}
