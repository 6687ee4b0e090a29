package dev.retort.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.retort.core.io.Json;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code metrics.jsonl}: one line per step, the object {@link StepInfo#row()} of the trainer's
 * metrics (SFT: {@link StepMetrics#row()}; GRPO: its own keys, with "loss" and "lr" meaning the
 * same, so one curve plotter reads both). On resume, lines past the checkpoint's step (written by the killed
 * process after its last checkpoint) are dropped first, so the file reads as one uninterrupted run.
 */
public final class MetricsJsonl implements TrainingListener<StepInfo>, AutoCloseable {
  public static final String FILE = "metrics.jsonl";
  private final Path file;
  private BufferedWriter out;

  public MetricsJsonl(Path file) {
    this.file = file;
  }

  @Override
  public void onTrainBegin(TrainInfo info) {
    out = openResumed(file, info.startStep());
  }

  /**
   * Opens a step-keyed JSONL file for appending after a resume from {@code startStep}: lines past
   * that step (written by a killed process after its last checkpoint) and torn lines are dropped
   * first.
   */
  static BufferedWriter openResumed(Path file, long startStep) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      List<String> keep = new ArrayList<>();
      if (startStep > 0 && Files.isRegularFile(file)) {
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
          try {
            JsonNode n = Json.COMPACT.readTree(line);
            if (n != null && n.path("step").asLong(Long.MAX_VALUE) <= startStep) {
              keep.add(line);
            }
          } catch (IOException e) {
            // a line cut short by the kill: dropped
          }
        }
      }
      Files.write(file, keep, StandardCharsets.UTF_8);
      return Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void onStep(StepInfo m, TrainControl control) {
    try {
      out.write(Json.toJson(m.row()));
      out.write('\n');
      out.flush(); // a checkpoint's lines must be on disk when the process dies after it
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void onTrainEnd(RunResult result) {
    close();
  }

  /** Closes the file (also called by the trainer when training fails). */
  @Override
  public void close() {
    try {
      if (out != null) {
        out.close();
        out = null;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Rows of a metrics file (for curves and tests). */
  public static List<JsonNode> read(Path file) {
    List<JsonNode> rows = new ArrayList<>();
    for (Json.Line l : Json.readLines(file)) {
      if (l.ok()) {
        rows.add(l.node());
      }
    }
    return rows;
  }
}
