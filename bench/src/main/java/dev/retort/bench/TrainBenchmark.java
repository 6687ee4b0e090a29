package dev.retort.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.retort.core.data.Completions;
import dev.retort.core.data.Prompt;
import dev.retort.core.datasets.Arith;
import dev.retort.core.io.Json;
import dev.retort.core.run.StageOutput;
import dev.retort.model.ModelConfig;
import dev.retort.train.DeviceSpec;
import dev.retort.train.SftData;
import dev.retort.train.SftTrainer;
import dev.retort.train.StepMetrics;
import dev.retort.train.TrainControl;
import dev.retort.train.TrainResult;
import dev.retort.train.TrainSettings;
import dev.retort.train.TrainingListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * {@code retort bench train}: SFT throughput of a student on arith SFT data, and its model FLOP
 * utilization (MFU): model FLOP/s ({@code 3 x forward FLOPs per token x tokens/s}, i.e.
 * 6N plus attention over the rows' mean length) over the best matmul FLOP/s of the same engine on the same device, measured in
 * the same process (square fp32 matmuls of a few sizes, best of several, before and after training).
 * Tokens are real (non-padding) tokens; timing skips the first steps (warm-up).
 */
public final class TrainBenchmark {
  private TrainBenchmark() {}

  /**
   * @param overrides settings under {@code train} (model size, seq-len, batch, threads, devices)
   * @param steps measured steps after {@code warmup} steps
   */
  public record Options(List<String> overrides, int steps, int warmup, int samples, Path work, boolean keep) {}

  public record Result(double tokensPerSecond, double mfu, double modelFlopsPerSecond, double matmulFlopsPerSecond,
      long parameters, int seqLen, int threads, String device) {
    public String resultLine() {
      return String.format(Locale.ROOT, "RESULT train tokens_per_s=%.1f mfu=%.3f model_gflops=%.2f matmul_gflops=%.2f params=%d seq_len=%d threads=%d device=%s",
          tokensPerSecond, mfu, modelFlopsPerSecond / 1e9, matmulFlopsPerSecond / 1e9, parameters, seqLen, threads, device);
    }
  }

  /** The default benchmark student: about 20M parameters (qwen2, d=512, 6 layers) with the char vocabulary. */
  public static List<String> defaultStudent() {
    return List.of("model.hidden-size=512", "model.num-layers=6", "model.num-heads=8", "model.num-kv-heads=8",
        "model.intermediate-size=1536", "model.max-position-embeddings=512", "seq-len=512", "batch-size=4",
        "grad-accum=1", "warmup-steps=2", "checkpoint-every=0", "devices=auto");
  }

  public static Result run(Options o, Consumer<String> log) {
    Path dir;
    try {
      dir = o.work() != null ? Files.createDirectories(o.work()) : Files.createTempDirectory("retort-bench-train");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> over = new ArrayList<>(defaultStudent());
    over.addAll(o.overrides());
    over.add("max-steps=" + (o.warmup() + o.steps()));
    over.add("epochs=100");
    over.add("log-every=" + Math.max(1, (o.warmup() + o.steps()) / 4));
    TrainSettings s = TrainSettings.defaults(over.toArray(String[]::new));
    int threads = SftTrainer.configureThreads(s.threads());
    Device device = DeviceSpec.parse(s.devices()).resolve().get(0);

    List<Prompt> prompts = Arith.generate(Arith.Spec.defaults(), 1, o.samples(), Arith.Split.TRAIN);
    Path data = dir.resolve("sft");
    SftData.write(data, SftData.fromPrompts(prompts, "{problem}\n" + Completions.MATH_SUFFIX));
    Path out = dir.resolve("model");
    StageOutput.deleteTree(out);

    double peakBefore = matmulPeak(device, log);
    long[] tokens = {0};
    long[] t0 = {0};
    long[] t1 = {0};
    TrainingListener<StepMetrics> timer = new TrainingListener<>() {
      @Override
      public void onStep(StepMetrics m, TrainControl control) {
        if (m.step() == o.warmup()) {
          t0[0] = System.nanoTime();
          tokens[0] = -m.tokens();
        } else if (m.step() == o.warmup() + o.steps()) {
          t1[0] = System.nanoTime();
          tokens[0] += m.tokens();
        }
      }
    };
    TrainResult r = SftTrainer.run(s, data, out, timer);
    if (t1[0] == 0) {
      throw new IllegalStateException("training ended after " + r.steps() + " steps, before the measured window");
    }
    double peakAfter = matmulPeak(device, log);
    double peak = Math.max(peakBefore, peakAfter);
    double tps = tokens[0] / ((t1[0] - t0[0]) / 1e9);
    // Attention is counted over the span actually computed: the mean row length (seq-len when packed).
    int span = (int) Math.round(Json.read(out.resolve(StageOutput.STATS)).path("mean_row_length").asDouble(s.seqLen()));
    double perToken = readConfig(out).trainingFlopsPerToken(span);
    double modelFlops = perToken * tps;
    log.accept(String.format(Locale.ROOT, "student: %d parameters, %.1f MFLOP per trained token (attention span %d); %d measured steps, %d tokens, %.1f tokens/s",
        r.parameterCount(), perToken / 1e6, span, o.steps(), tokens[0], tps));
    if (!o.keep() && o.work() == null) {
      StageOutput.deleteTree(dir);
    }
    return new Result(tps, modelFlops / peak, modelFlops, peak, r.parameterCount(), s.seqLen(), threads, device.toString());
  }

  private static ModelConfig readConfig(Path out) {
    try {
      return ModelConfig.read(out.resolve("config.json"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Best fp32 FLOP/s of square matmuls (sizes 256..2048, 5 timed repetitions each after a warm-up). */
  public static double matmulPeak(Device device, Consumer<String> log) {
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    double best = 0;
    StringBuilder b = new StringBuilder("matmul GFLOP/s:");
    try (NDManager m = NDManager.newBaseManager(device)) {
      for (int n : new int[] {256, 512, 1024, 2048}) {
        try (NDManager s = m.newSubManager()) {
          NDArray x = s.randomNormal(new Shape(n, n));
          NDArray y = s.randomNormal(new Shape(n, n));
          int reps = n >= 2048 ? 3 : n >= 1024 ? 5 : 20;
          x.matMul(y).toFloatArray(); // warm-up (and, on a GPU, synchronization through the read)
          double sizeBest = 0;
          for (int r = 0; r < 5; r++) {
            try (NDManager round = s.newSubManager()) {
              round.tempAttachAll(x, y);
              long t = System.nanoTime();
              NDArray z = null;
              for (int k = 0; k < reps; k++) {
                z = x.matMul(y);
              }
              z.get(0, 0).getFloat(); // waits for the device
              double sec = (System.nanoTime() - t) / 1e9;
              sizeBest = Math.max(sizeBest, 2.0 * n * n * (double) n * reps / sec);
            }
          }
          b.append(String.format(Locale.ROOT, " %d:%.1f", n, sizeBest / 1e9));
          best = Math.max(best, sizeBest);
        }
      }
    } finally {
      JniUtils.setGradMode(grad);
    }
    log.accept(b.toString());
    return best;
  }
}
