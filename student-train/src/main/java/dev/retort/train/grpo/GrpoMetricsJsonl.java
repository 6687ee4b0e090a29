package dev.retort.train.grpo;

import dev.retort.core.io.Json;
import dev.retort.train.TrainControl;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code metrics.jsonl}: one line per GRPO step (the keys of {@link #row}). "loss" and "lr" carry
 * the same meaning as in the SFT trainer's file, so the SFT training-curve code plots both. On
 * resume, lines past the checkpoint's step (written after the last checkpoint by the killed
 * process) are dropped, so the file reads as one uninterrupted run.
 */
public final class GrpoMetricsJsonl implements GrpoListener {
  public static final String FILE = "metrics.jsonl";
  private final Path file;
  private BufferedWriter out;

  public GrpoMetricsJsonl(Path file) {
    this.file = file;
  }

  @Override
  public void onTrainBegin(GrpoInfo info) {
    out = dev.retort.train.MetricsJsonl.openResumed(file, info.startStep());
  }

  /** The JSON object of one step; NaN values (no KL without a reference) become null. */
  static Map<String, Object> row(GrpoStepMetrics m) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("step", m.step());
    r.put("loss", num(m.loss(), 6));
    r.put("lr", m.lr());
    r.put("grad_norm", num(m.gradNorm(), 6));
    r.put("reward_mean", num(m.rewardMean(), 6));
    r.put("reward_std", num(m.rewardStd(), 6));
    r.put("accuracy", num(m.accuracy(), 6));
    r.put("format_rate", num(m.formatRate(), 6));
    r.put("response_length", num(m.responseLength(), 3));
    r.put("truncated_frac", num(m.truncatedFraction(), 6));
    r.put("kl", num(m.kl(), 8));
    r.put("clip_frac", num(m.clipFraction(), 6));
    r.put("zero_adv_groups", num(m.zeroAdvantageGroups(), 6));
    r.put("seqs_trained", m.sequencesTrained());
    r.put("tokens_sampled", m.tokensSampled());
    r.put("tokens_trained", m.tokensTrained());
    r.put("flops", m.flops());
    r.put("sample_s", num(m.sampleSeconds(), 3));
    r.put("train_s", num(m.trainSeconds(), 3));
    r.put("elapsed_s", num(m.elapsedSeconds(), 3));
    return r;
  }

  private static Object num(double v, int places) {
    if (!Double.isFinite(v)) {
      return null;
    }
    double f = Math.pow(10, places);
    return Math.round(v * f) / f;
  }

  @Override
  public void onStep(GrpoStepMetrics m, TrainControl control) {
    try {
      out.write(Json.toJson(row(m)));
      out.write('\n');
      out.flush(); // a checkpoint's lines must be on disk when the process dies after it
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void onTrainEnd(GrpoResult result) {
    close();
  }

  void close() {
    try {
      if (out != null) {
        out.close();
        out = null;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
