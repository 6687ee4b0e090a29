package dev.retort.eval.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.retort.core.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a trainer's metrics.jsonl: one JSON object per line, {@code {step, loss, lr, tokens, ...}}.
 * Every numeric field becomes a curve over {@code step} (the line number when a line has none).
 * Malformed lines are skipped and counted: a trainer still running may be writing the last one.
 */
public final class TrainingMetrics {
  private static final Logger LOG = LoggerFactory.getLogger(TrainingMetrics.class);

  private TrainingMetrics() {}

  /** Field name to (step, value) points, in file order; empty when the file is missing. */
  public static Map<String, List<double[]>> read(Path file) {
    Map<String, List<double[]>> out = new LinkedHashMap<>();
    if (!Files.isRegularFile(file)) {
      LOG.warn("training metrics {} not found; no curves for it", file);
      return out;
    }
    int bad = 0;
    for (Json.Line line : Json.readLines(file)) {
      if (!line.ok()) {
        bad++;
        continue;
      }
      JsonNode step = line.node().get("step");
      double x = step != null && step.isNumber() ? step.asDouble() : line.number();
      for (Map.Entry<String, JsonNode> e : line.node().properties()) {
        if (!e.getKey().equals("step") && e.getValue().isNumber() && Double.isFinite(e.getValue().asDouble())) {
          out.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(new double[] {x, e.getValue().asDouble()});
        }
      }
    }
    if (bad > 0) {
      LOG.warn("training metrics {}: {} malformed lines skipped", file, bad);
    }
    return out;
  }
}
