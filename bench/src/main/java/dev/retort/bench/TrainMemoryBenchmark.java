package dev.retort.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.retort.core.data.Completions;
import dev.retort.core.data.Prompt;
import dev.retort.core.datasets.Arith;
import dev.retort.core.run.StageOutput;
import dev.retort.model.CharTokenizer;
import dev.retort.model.Checkpoint;
import dev.retort.model.ModelConfig;
import dev.retort.model.Tokenizer;
import dev.retort.model.Transformer;
import dev.retort.train.SftData;
import dev.retort.train.SftTrainer;
import dev.retort.train.StepMetrics;
import dev.retort.train.TrainControl;
import dev.retort.train.TrainInfo;
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
 * {@code retort bench train-memory}: peak resident memory and tokens/s of the in-process SFT
 * trainer on a Qwen2.5-0.5B-shaped student by default (random init: d=896, 24 layers, 14 heads, 2
 * KV heads, MLP 4864, vocabulary 151,936, tied embeddings; the character tokenizer supplies the ids) at one
 * packed row of {@code seq-len} tokens per step, with the chunked cross-entropy (and, by default,
 * activation recomputation); optionally an unchunked arm at a shorter row first for comparison.
 * Each arm is a full {@link SftTrainer#run} from a bf16 checkpoint written at the start; its peak
 * is the process's VmHWM at the end of its last step (reset through /proc/self/clear_refs when the
 * arm starts, so the checkpoint writing and the other arm do not count), fp32 weights, gradients
 * and AdamW moments included; the step peak is the same with the mark reset again once the model
 * is loaded (what training itself needs on top of what loading left resident, JVM heap included).
 */
public final class TrainMemoryBenchmark {
  private TrainMemoryBenchmark() {}

  /**
   * @param unchunkedSeqLen row length of an unchunked arm run first (0: none)
   * @param overrides more settings under {@code train} for both arms (threads, devices, ...)
   */
  public record Options(Shape shape, int steps, int seqLen, int lossChunk, boolean recompute, int unchunkedSeqLen,
      Path work, List<String> overrides) {}

  /** A qwen2 student's size (tied embeddings, head size hidden / heads). */
  public record Shape(int hiddenSize, int layers, int heads, int kvHeads, int intermediateSize, int vocabSize) {
    /** Qwen2.5-0.5B (config.json of Qwen/Qwen2.5-0.5B). */
    public static final Shape QWEN25_05B = new Shape(896, 24, 14, 2, 4864, 151_936);

    ModelConfig config(Tokenizer tok) {
      if (vocabSize < tok.vocabSize()) {
        throw new IllegalArgumentException("vocabulary " + vocabSize + " is smaller than the tokenizer's " + tok.vocabSize());
      }
      return new ModelConfig(ModelConfig.QWEN2, vocabSize, hiddenSize, intermediateSize, layers, heads, kvHeads,
          hiddenSize / heads, 32_768, 1e-6, 1_000_000.0, null, true, false, false, tok.bosId(),
          tok.eosId() == null ? List.of() : List.of(tok.eosId()), tok.padId());
    }
  }

  /**
   * @param peakRssGb the arm's peak, loading the checkpoint included
   * @param stepPeakRssGb the peak from the first step on (the mark reset once the model is loaded)
   * @param loadedRssGb resident memory when the first step starts
   */
  public record Arm(int seqLen, int lossChunk, boolean recompute, double peakRssGb, double stepPeakRssGb,
      double loadedRssGb, double tokensPerSecond, long steps, long parameters) {}

  public record Result(Arm main, Arm unchunked) {
    public String resultLine() {
      String line = String.format(Locale.ROOT,
          "RESULT train-memory peak_rss_gb=%.2f tokens_per_s=%.1f chunked=%s recompute=%s seq_len=%d loss_chunk=%d steps=%d params=%d"
              + " step_peak_rss_gb=%.2f loaded_rss_gb=%.2f",
          main.peakRssGb(), main.tokensPerSecond(), main.lossChunk() > 0 && main.lossChunk() < main.seqLen(),
          main.recompute(), main.seqLen(), main.lossChunk(), main.steps(), main.parameters(), main.stepPeakRssGb(),
          main.loadedRssGb());
      if (unchunked != null) {
        line += String.format(Locale.ROOT,
            " unchunked_seq_len=%d unchunked_peak_rss_gb=%.2f unchunked_step_peak_rss_gb=%.2f unchunked_tokens_per_s=%.1f",
            unchunked.seqLen(), unchunked.peakRssGb(), unchunked.stepPeakRssGb(), unchunked.tokensPerSecond());
      }
      return line;
    }
  }

  public static Result run(Options o, Consumer<String> log) {
    Path dir;
    try {
      dir = o.work() != null ? Files.createDirectories(o.work()) : Files.createTempDirectory("retort-bench-train-memory");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      Path init = dir.resolve("init");
      long params = writeCheckpoint(init, o.shape(), log);
      List<Prompt> prompts = Arith.generate(Arith.Spec.defaults(), 1, 40 * o.steps() * Math.max(1, o.seqLen() / 512) + 200,
          Arith.Split.TRAIN);
      Path data = dir.resolve("sft");
      SftData.write(data, SftData.fromPrompts(prompts, "{problem}\n" + Completions.MATH_SUFFIX));
      Arm unchunked = null;
      if (o.unchunkedSeqLen() > 0) {
        // First. The peak mark is reset before the main arm, but to the current RSS, and what the
        // native allocator keeps of this arm stays resident: compare loaded_rss_gb, or run the
        // arms as separate invocations for their absolute peaks.
        unchunked = arm(o, init, data, dir.resolve("unchunked"), o.unchunkedSeqLen(), 0, false, params, log);
      }
      Arm main = arm(o, init, data, dir.resolve("chunked"), o.seqLen(), o.lossChunk(), o.recompute(), params, log);
      return new Result(main, unchunked);
    } finally {
      if (o.work() == null) {
        StageOutput.deleteTree(dir);
      }
    }
  }

  private static long writeCheckpoint(Path init, Shape shape, Consumer<String> log) {
    try {
      Files.createDirectories(init);
      Path tokFile = init.resolve("char-tokenizer.json");
      CharTokenizer.write(tokFile);
      try (Tokenizer tok = Tokenizer.load(tokFile); NDManager m = NDManager.newBaseManager()) {
        ModelConfig cfg = shape.config(tok);
        Transformer model = Transformer.create(cfg, 1, m);
        Checkpoint.save(model, cfg, init, DataType.BFLOAT16, tok);
        log.accept(String.format(Locale.ROOT, "student: %d parameters (d=%d, %d layers, vocabulary %d), bf16 checkpoint in %s",
            model.numParameters(), cfg.hiddenSize(), cfg.numHiddenLayers(), cfg.vocabSize(), init));
        return model.numParameters();
      } finally {
        Files.deleteIfExists(tokFile);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the benchmark checkpoint " + init + ": " + e.getMessage(), e);
    }
  }

  private static Arm arm(Options o, Path init, Path data, Path out, int seqLen, int chunk, boolean recompute, long params,
      Consumer<String> log) {
    List<String> over = new ArrayList<>(List.of("init-from=\"" + init.toAbsolutePath() + "\"", "seq-len=" + seqLen,
        "batch-size=1", "batching=packed", "grad-accum=1", "max-steps=" + o.steps(), "epochs=100", "warmup-steps=0",
        "checkpoint-every=0", "log-every=1", "loss-chunk=" + chunk, "recompute=" + recompute, "devices=cpu",
        "save-dtype=bfloat16"));
    over.addAll(o.overrides());
    TrainSettings s = TrainSettings.defaults(over.toArray(String[]::new));
    boolean reset = resetPeak();
    long[] last = {0, 0, 0}; // tokens at the previous step, its time, tokens of the timed steps
    double[] seconds = {0};
    double[] peak = {0};
    double[] loaded = {0, 0}; // peak while loading, resident memory when training starts
    double[] stepPeak = {0};
    long[] start = {System.nanoTime()};
    TrainingListener<StepMetrics> probe = new TrainingListener<>() {
      @Override
      public void onTrainBegin(TrainInfo info) {
        loaded[0] = peakRssGb();
        loaded[1] = rssGb();
        log.accept(residentBreakdown());
        resetPeak();
        start[0] = System.nanoTime();
      }

      @Override
      public void onStep(StepMetrics m, TrainControl control) {
        long now = System.nanoTime();
        // The first step pays for warm-up (allocator, thread pools): time the later ones when there are any.
        if (m.step() > 1 || o.steps() == 1) {
          seconds[0] += (now - (m.step() == 1 ? start[0] : last[1])) / 1e9;
          last[2] += m.stepTokens();
        }
        last[1] = now;
        stepPeak[0] = peakRssGb();
        peak[0] = Math.max(loaded[0], stepPeak[0]);
        log.accept(String.format(Locale.ROOT, "seq-len %d, loss-chunk %d, recompute %s: step %d, loss %.4f, %d tokens, "
                + "peak RSS %.2f GB (%.2f GB loading the model, %.2f GB resident when training began)",
            seqLen, chunk, recompute, m.step(), m.loss(), m.stepTokens(), stepPeak[0], loaded[0], loaded[1]));
        log.accept(residentBreakdown());
      }
    };
    TrainResult r = SftTrainer.run(s, data, out, probe);
    StageOutput.deleteTree(out);
    if (!reset) {
      log.accept("note: /proc/self/clear_refs could not reset the peak: it includes what ran before this arm");
    }
    return new Arm(seqLen, chunk, recompute, peak[0], stepPeak[0], loaded[1], seconds[0] > 0 ? last[2] / seconds[0] : 0,
        r.steps(), params);
  }

  /** Resets the kernel's peak-RSS mark of this process (Linux: "5" into clear_refs). */
  static boolean resetPeak() {
    try {
      Files.writeString(Path.of("/proc/self/clear_refs"), "5");
      return true;
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return false;
    }
  }

  /** This process's peak resident set (VmHWM) in GB (10^9 bytes); NaN where /proc is missing. */
  static double peakRssGb() {
    return status("VmHWM:");
  }

  /**
   * Where the resident memory is: anonymous (native tensors, JVM heap) and file-backed pages,
   * the JVM heap's committed size and the NIO buffer pools (direct and mapped), in GB.
   */
  static String residentBreakdown() {
    StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "resident: anon %.2f GB, file %.2f GB, heap committed %.2f GB",
        status("RssAnon:"), status("RssFile:"), Runtime.getRuntime().totalMemory() / 1e9));
    for (java.lang.management.BufferPoolMXBean p : java.lang.management.ManagementFactory.getPlatformMXBeans(
        java.lang.management.BufferPoolMXBean.class)) {
      b.append(String.format(Locale.ROOT, ", %s buffers %.2f GB", p.getName(), p.getMemoryUsed() / 1e9));
    }
    return b.toString();
  }

  /** This process's resident set (VmRSS) in GB; NaN where /proc is missing. */
  static double rssGb() {
    return status("VmRSS:");
  }

  private static double status(String key) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(key)) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024 / 1e9;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return Double.NaN;
    }
    return Double.NaN;
  }
}
