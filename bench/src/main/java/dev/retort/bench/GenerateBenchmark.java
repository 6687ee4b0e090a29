package dev.retort.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.retort.model.Generation;
import dev.retort.model.ModelConfig;
import dev.retort.model.Sampler;
import dev.retort.model.SamplingOptions;
import dev.retort.model.Transformer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Generation throughput, and the KV cache's speedup over recomputing the whole prefix at every
 * step, measured in one run on one randomly initialized model (default ~10.5M parameters).
 *
 * <p>Both arms decode greedily from the same prompts. The cached arm runs every step through
 * {@link Sampler}. The no-cache arm re-runs the full forward pass over prompt + generated tokens
 * at a sample of steps (every {@code stride}-th step plus the last) and integrates the measured
 * per-step times linearly over all steps; running all of them would take minutes for the same
 * answer. Each sampled no-cache step also checks that its argmax equals the cached arm's token.
 * Run from the CLI as {@code retort bench generate}.
 */
public final class GenerateBenchmark {
  /** Benchmark knobs; {@link #defaults()} is the documented setting. */
  public record Options(int batch, int promptTokens, int newTokens, int hidden, int layers,
      int heads, int kvHeads, int intermediate, int vocab, int noCacheStride, long seed) {
    public static Options defaults() {
      return new Options(32, 16, 256, 256, 8, 8, 4, 768, 8192, 32, 1);
    }
  }

  /** What one run measured. */
  public record Result(long parameters, int batch, int newTokens, double cachedSeconds,
      double tokensPerSecond, double noCacheSecondsEstimated, int noCacheStepsMeasured,
      double kvSpeedup, int agreeingSteps) {
    /** The closing line of {@code retort bench generate}. */
    public String resultLine() {
      return String.format(Locale.ROOT, "RESULT generate tokens_per_s=%.1f kv_speedup=%.2f "
          + "params=%d batch=%d new_tokens=%d cached_s=%.3f nocache_est_s=%.3f "
          + "nocache_steps_measured=%d nocache_agree=%d/%d", tokensPerSecond, kvSpeedup,
          parameters, batch, newTokens, cachedSeconds, noCacheSecondsEstimated,
          noCacheStepsMeasured, agreeingSteps, noCacheStepsMeasured);
    }
  }

  private GenerateBenchmark() {}

  public static Result run(Options o, java.util.function.Consumer<String> log) {
    ModelConfig config = new ModelConfig("llama", o.vocab(), o.hidden(), o.intermediate(),
        o.layers(), o.heads(), o.kvHeads(), o.hidden() / o.heads(), 4096, 1e-6, 10000.0, null,
        false, false, false, null, List.of(), null);
    try (NDManager root = NDManager.newBaseManager()) {
      Transformer model = Transformer.create(config, o.seed(), root);
      log.accept(String.format(Locale.ROOT, "model: %d parameters, %d layers, d=%d, vocab=%d",
          model.numParameters(), o.layers(), o.hidden(), o.vocab()));
      Random r = new Random(o.seed());
      List<int[]> prompts = new ArrayList<>();
      for (int i = 0; i < o.batch(); i++) {
        int[] p = new int[o.promptTokens()];
        for (int j = 0; j < p.length; j++) {
          p[j] = r.nextInt(o.vocab());
        }
        prompts.add(p);
      }
      Sampler sampler = new Sampler(model, null);
      sampler.generate(prompts, SamplingOptions.greedy(8, List.of())); // warm-up

      long t0 = System.nanoTime();
      List<Generation> gens = sampler.generate(prompts, SamplingOptions.greedy(o.newTokens(),
          List.of()));
      double cached = (System.nanoTime() - t0) / 1e9;
      double tps = (double) o.batch() * o.newTokens() / cached;
      log.accept(String.format(Locale.ROOT, "cached: %d x %d tokens in %.3f s (%.1f tokens/s)",
          o.batch(), o.newTokens(), cached, tps));

      // No-cache arm: step t feeds prompt + first t generated tokens through the full model.
      List<Integer> steps = new ArrayList<>();
      for (int t = 0; t < o.newTokens(); t += o.noCacheStride()) {
        steps.add(t);
      }
      if (steps.get(steps.size() - 1) != o.newTokens() - 1) {
        steps.add(o.newTokens() - 1);
      }
      double[] secs = new double[steps.size()];
      int agree = 0;
      boolean grad = JniUtils.isGradMode();
      JniUtils.setGradMode(false);
      try {
        noCacheStep(model, prompts, gens, 0, root); // warm-up
        for (int i = 0; i < steps.size(); i++) {
          int t = steps.get(i);
          long s0 = System.nanoTime();
          long[] next = noCacheStep(model, prompts, gens, t, root);
          secs[i] = (System.nanoTime() - s0) / 1e9;
          boolean same = true;
          for (int b = 0; b < o.batch(); b++) {
            same &= next[b] == gens.get(b).tokens()[t];
          }
          agree += same ? 1 : 0;
          log.accept(String.format(Locale.ROOT, "no-cache step %d (context %d): %.4f s", t,
              o.promptTokens() + t, secs[i]));
        }
      } finally {
        JniUtils.setGradMode(grad);
      }
      double est = 0; // linear interpolation of per-step time between measured steps
      for (int t = 0; t < o.newTokens(); t++) {
        int i = 0;
        while (i + 1 < steps.size() && steps.get(i + 1) < t) {
          i++;
        }
        if (i + 1 >= steps.size() || steps.get(i) >= t) {
          est += secs[Math.min(i, steps.size() - 1)];
        } else {
          double f = (t - steps.get(i)) / (double) (steps.get(i + 1) - steps.get(i));
          est += secs[i] + f * (secs[i + 1] - secs[i]);
        }
      }
      log.accept(String.format(Locale.ROOT, "no-cache: %d of %d steps measured, all %d "
          + "estimated at %.3f s (linear interpolation of per-step time)", steps.size(),
          o.newTokens(), o.newTokens(), est));
      return new Result(model.numParameters(), o.batch(), o.newTokens(), cached, tps, est,
          steps.size(), est / cached, agree);
    }
  }

  /** Greedy next tokens after prompt + t generated tokens, recomputing the whole prefix. */
  private static long[] noCacheStep(Transformer model, List<int[]> prompts,
      List<Generation> gens, int t, NDManager root) {
    int b = prompts.size();
    int len = prompts.get(0).length + t;
    long[] ids = new long[b * len];
    long[] pos = new long[b * len];
    long[] seg = new long[b * len];
    for (int i = 0; i < b; i++) {
      int[] p = prompts.get(i);
      for (int j = 0; j < len; j++) {
        ids[i * len + j] = j < p.length ? p[j] : gens.get(i).tokens()[j - p.length];
        pos[i * len + j] = j;
        seg[i * len + j] = 1;
      }
    }
    try (NDManager m = root.newSubManager()) {
      Shape s = new Shape(b, len);
      NDArray logits = model.forwardLast(m.create(ids, s), m.create(pos, s), m.create(seg, s));
      return logits.argMax(1).toLongArray();
    }
  }

  public static void main(String[] args) {
    Options o = Options.defaults();
    if (args.length > 0) {
      o = new Options(o.batch(), o.promptTokens(), Integer.parseInt(args[0]), o.hidden(),
          o.layers(), o.heads(), o.kvHeads(), o.intermediate(), o.vocab(), o.noCacheStride(),
          o.seed());
    }
    Result r = run(o, System.out::println);
    System.out.println(r.resultLine());
  }
}
