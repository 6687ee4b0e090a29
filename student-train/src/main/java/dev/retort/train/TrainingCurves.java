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

/** Loss and learning-rate curves (PNG, jfreechart) from a run's metrics.jsonl. */
public final class TrainingCurves {
  public static final String LOSS_PNG = "loss.png";
  public static final String LR_PNG = "lr.png";

  private TrainingCurves() {}

  /** Writes {@code loss.png} and {@code lr.png} into {@code dir}; returns false when there are no rows. */
  public static boolean write(Path metricsJsonl, Path dir, String title) {
    if (!Files.isRegularFile(metricsJsonl)) {
      return false;
    }
    List<JsonNode> rows = MetricsJsonl.read(metricsJsonl);
    if (rows.isEmpty()) {
      return false;
    }
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true"); // no display on servers
    }
    XYSeries loss = new XYSeries("loss");
    XYSeries lr = new XYSeries("lr");
    for (JsonNode r : rows) {
      long step = r.path("step").asLong();
      double l = r.path("loss").asDouble(Double.NaN);
      if (Double.isFinite(l)) {
        loss.add(step, l);
      }
      lr.add(step, r.path("lr").asDouble());
    }
    png(chart(title + ": training loss", "loss (nats per completion token)", loss), dir.resolve(LOSS_PNG));
    png(chart(title + ": learning rate", "learning rate", lr), dir.resolve(LR_PNG));
    return true;
  }

  private static JFreeChart chart(String title, String yLabel, XYSeries series) {
    JFreeChart c = ChartFactory.createXYLineChart(title, "step", yLabel, new XYSeriesCollection(series),
        PlotOrientation.VERTICAL, false, false, false);
    XYPlot plot = c.getXYPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    plot.getRenderer().setSeriesPaint(0, new Color(0x1f77b4));
    plot.getRenderer().setSeriesStroke(0, new BasicStroke(1.5f));
    return c;
  }

  private static void png(JFreeChart chart, Path file) {
    try {
      Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
      ChartUtils.saveChartAsPNG(tmp.toFile(), chart, 800, 450);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }
}
