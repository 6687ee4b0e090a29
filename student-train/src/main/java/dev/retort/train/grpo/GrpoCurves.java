package dev.retort.train.grpo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.retort.core.io.Json;
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
 * {@code reward.png}: mean reward and verifier accuracy per step, from metrics.jsonl. (Loss and
 * learning-rate curves come from the SFT trainer's TrainingCurves, which reads the same keys.)
 */
public final class GrpoCurves {
  public static final String REWARD_PNG = "reward.png";

  private GrpoCurves() {}

  /** Writes {@code reward.png} into {@code dir}; false when the metrics file has no rows. */
  public static boolean write(Path metricsJsonl, Path dir, String title) {
    if (!Files.isRegularFile(metricsJsonl)) {
      return false;
    }
    XYSeries reward = new XYSeries("reward mean");
    XYSeries acc = new XYSeries("accuracy");
    List<Json.Line> lines = Json.readLines(metricsJsonl);
    for (Json.Line l : lines) {
      if (!l.ok()) {
        continue;
      }
      JsonNode r = l.node();
      long step = r.path("step").asLong();
      double rw = r.path("reward_mean").asDouble(Double.NaN);
      double ac = r.path("accuracy").asDouble(Double.NaN);
      if (Double.isFinite(rw)) {
        reward.add(step, rw);
      }
      if (Double.isFinite(ac)) {
        acc.add(step, ac);
      }
    }
    if (reward.isEmpty()) {
      return false;
    }
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true"); // no display on servers
    }
    XYSeriesCollection data = new XYSeriesCollection();
    data.addSeries(reward);
    data.addSeries(acc);
    JFreeChart c = ChartFactory.createXYLineChart(title + ": GRPO reward", "step", "per-step mean over samples", data,
        PlotOrientation.VERTICAL, true, false, false);
    XYPlot plot = c.getXYPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    plot.getRenderer().setSeriesPaint(0, new Color(0x1f77b4));
    plot.getRenderer().setSeriesPaint(1, new Color(0xff7f0e));
    plot.getRenderer().setSeriesStroke(0, new BasicStroke(1.5f));
    plot.getRenderer().setSeriesStroke(1, new BasicStroke(1.5f));
    Path file = dir.resolve(REWARD_PNG);
    try {
      Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
      ChartUtils.saveChartAsPNG(tmp.toFile(), c, 800, 450);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
    return true;
  }
}
