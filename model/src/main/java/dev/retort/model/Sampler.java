package dev.retort.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.retort.core.Hashing;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Batched generation with a KV cache, and scoring.
 *
 * <p>Prompts of different lengths are left-padded to a common length; padding gets segment 0
 * (masked) and each row's positions start at 0 at its first real token, so a row decodes exactly
 * as it would alone. The draw happens in Java on logits copied from the engine (DJL's PyTorch
 * engine has no multinomial): each row owns a {@link Random} seeded from its own seed, so a
 * (prompt, seed) pair gives the same tokens whatever else shares the batch (up to float rounding
 * differences between batch shapes, which can flip a near-tie). Greedy rows copy only the argmax.
 *
 * <p>Thread-safe for concurrent calls: each call has its own cache and scratch memory.
 */
@SuppressWarnings("try") // NoGrad scopes are resources the try body never names
public final class Sampler {
  /** New-token room the cache starts with; it doubles on demand, so long budgets cost only if used. */
  private static final int INITIAL_NEW_TOKENS = 256;

  private final Transformer model;
  private final Tokenizer tokenizer;

  /** {@code tokenizer} may be null: then texts are null and stop strings are refused. */
  public Sampler(Transformer model, Tokenizer tokenizer) {
    this.model = model;
    this.tokenizer = tokenizer;
  }

  public Transformer model() {
    return model;
  }

  public Tokenizer tokenizer() {
    return tokenizer;
  }

  /** Generates for each prompt; row i draws from a seed mixed from opts.seed and i. */
  public List<Generation> generate(List<int[]> prompts, SamplingOptions opts) {
    long[] seeds = new long[prompts.size()];
    for (int i = 0; i < seeds.length; i++) {
      seeds[i] = Hashing.mix64(opts.seed() + 0x632BE59BD9B4E019L * i);
    }
    return generate(prompts, opts, seeds);
  }

  /**
   * Generates for each prompt; row i draws from a generator seeded with {@code rowSeeds[i]}
   * (the teacher server passes each request's own seed here).
   */
  public List<Generation> generate(List<int[]> prompts, SamplingOptions opts, long[] rowSeeds) {
    int b = prompts.size();
    if (rowSeeds.length != b) {
      throw new IllegalArgumentException("rowSeeds has " + rowSeeds.length + " seeds for " + b
          + " prompts");
    }
    if (!opts.stopStrings().isEmpty() && tokenizer == null) {
      throw new IllegalArgumentException("stop strings need a tokenizer");
    }
    if (b == 0) {
      return List.of();
    }
    int vocab = model.config().vocabSize();
    int p = 0;
    for (int[] prompt : prompts) {
      if (prompt.length == 0) {
        throw new IllegalArgumentException("prompt must have at least one token");
      }
      for (int id : prompt) {
        if (id < 0 || id >= vocab) {
          throw new IllegalArgumentException("token id " + id + " outside vocab_size " + vocab);
        }
      }
      p = Math.max(p, prompt.length);
    }
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < b; i++) {
      rows.add(new Row(prompts.get(i).length, new Random(rowSeeds[i])));
    }
    if (opts.maxNewTokens() == 0) {
      return finish(rows, opts);
    }
    Set<Integer> stopIds = new HashSet<>(opts.stopTokenIds());
    int maxStop = opts.stopStrings().stream().mapToInt(String::length).max().orElse(0);
    // Grad mode is thread-local in torch; rollouts inside a GradientCollector need it off.
    try (Transformer.NoGrad off = Transformer.NoGrad.enter();
        NDManager m = model.manager().newSubManager();
        KvCache cache = model.newCache(b, p + Math.min(opts.maxNewTokens(), INITIAL_NEW_TOKENS))) {
      long[] ids = new long[b * p];
      long[] pos = new long[b * p];
      long[] seg = new long[b * p];
      for (int i = 0; i < b; i++) {
        int[] prompt = prompts.get(i);
        int pad = p - prompt.length;
        for (int j = 0; j < prompt.length; j++) {
          ids[i * p + pad + j] = prompt[j];
          pos[i * p + pad + j] = j;
          seg[i * p + pad + j] = 1;
        }
      }
      Shape shape = new Shape(b, p);
      NDArray logits = model.prefill(m.create(ids, shape), m.create(pos, shape),
          m.create(seg, shape), cache);
      long[] next = new long[b];
      for (int step = 0; step < opts.maxNewTokens(); step++) {
        pick(logits, rows, opts, next);
        logits.close();
        boolean allDone = true;
        for (int i = 0; i < b; i++) {
          Row r = rows.get(i);
          if (r.reason != null) {
            continue;
          }
          int tok = (int) next[i];
          r.tokens.add(tok);
          if (stopIds.contains(tok)) {
            r.reason = Generation.STOP;
            r.endedByToken = true;
          } else if (maxStop > 0 && stopStringHit(r, opts.stopStrings(), maxStop)) {
            r.reason = Generation.STOP;
          } else if (r.tokens.size() >= opts.maxNewTokens()) {
            r.reason = Generation.LENGTH;
          }
          allDone &= r.reason != null;
        }
        if (allDone) {
          break;
        }
        try (NDArray in = m.create(next, new Shape(b, 1))) {
          logits = model.forwardStep(in, cache);
        }
      }
    }
    return finish(rows, opts);
  }

  /** Chooses the next token of every unfinished row (finished rows get a harmless id). */
  private void pick(NDArray logits, List<Row> rows, SamplingOptions opts, long[] next) {
    if (opts.temperature() <= 0) {
      try (NDArray arg = logits.argMax(1)) {
        long[] a = arg.toLongArray();
        System.arraycopy(a, 0, next, 0, a.length);
      }
      return;
    }
    int v = Math.toIntExact(logits.getShape().get(1));
    float[] all = logits.toFloatArray();
    for (int i = 0; i < rows.size(); i++) {
      Row r = rows.get(i);
      next[i] = r.reason != null ? 0 : draw(all, i * v, v, opts, r.rng);
    }
  }

  /** Temperature, top-k, top-p, then an inverse-CDF draw, all in double precision. */
  static int draw(float[] logits, int off, int v, SamplingOptions o, Random rng) {
    double inv = 1.0 / o.temperature();
    double max = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < v; j++) {
      max = Math.max(max, logits[off + j] * inv);
    }
    double kth = Double.NEGATIVE_INFINITY;
    if (o.topK() > 0 && o.topK() < v) { // keep ties with the k-th value, as transformers does
      float[] copy = Arrays.copyOfRange(logits, off, off + v);
      Arrays.sort(copy);
      kth = copy[v - o.topK()] * inv;
    }
    double[] w = new double[v];
    double sum = 0;
    for (int j = 0; j < v; j++) {
      double l = logits[off + j] * inv;
      w[j] = l < kth ? 0 : Math.exp(l - max);
      sum += w[j];
    }
    if (o.topP() < 1.0) {
      // Sort kept tokens by weight, descending; keep each while the mass above it is < top_p.
      long[] keys = new long[v];
      int n = 0;
      for (int j = 0; j < v; j++) {
        if (w[j] > 0) {
          keys[n++] = ((long) Float.floatToIntBits((float) (w[j] / sum)) << 32) | j;
        }
      }
      Arrays.sort(keys, 0, n);
      double above = 0;
      double kept = 0;
      double[] w2 = new double[v];
      for (int i = n - 1; i >= 0; i--) {
        int j = (int) (keys[i] & 0xFFFFFFFFL);
        if (above >= o.topP() * sum && i < n - 1) {
          break;
        }
        w2[j] = w[j];
        above += w[j];
        kept += w[j];
      }
      w = w2;
      sum = kept;
    }
    double u = rng.nextDouble() * sum;
    int last = -1;
    for (int j = 0; j < v; j++) {
      if (w[j] > 0) {
        last = j;
        u -= w[j];
        if (u < 0) {
          return j;
        }
      }
    }
    return last; // rounding left a sliver: the last kept token
  }

  private boolean stopStringHit(Row r, List<String> stops, int maxStop) {
    // Decode only a tail: every token yields at least one character except partial UTF-8 pieces,
    // so maxStop + 8 tokens cover any stop string that the newest token completed.
    int n = r.tokens.size();
    int from = Math.max(0, n - maxStop - 8);
    int[] tail = new int[n - from];
    for (int i = from; i < n; i++) {
      tail[i - from] = r.tokens.get(i);
    }
    String text = tokenizer.decode(tail);
    for (String s : stops) {
      if (text.contains(s)) {
        return true;
      }
    }
    return false;
  }

  private List<Generation> finish(List<Row> rows, SamplingOptions opts) {
    List<Generation> out = new ArrayList<>();
    for (Row r : rows) {
      int[] toks = r.tokens.stream().mapToInt(Integer::intValue).toArray();
      String text = null;
      if (tokenizer != null) {
        int[] visible = r.endedByToken ? Arrays.copyOf(toks, toks.length - 1) : toks;
        text = tokenizer.decode(visible);
        int cut = text.length();
        for (String s : opts.stopStrings()) {
          int at = text.indexOf(s);
          if (at >= 0) {
            cut = Math.min(cut, at);
          }
        }
        text = text.substring(0, cut);
      }
      out.add(new Generation(toks, text, r.reason == null ? Generation.LENGTH : r.reason,
          r.promptTokens));
    }
    return out;
  }

  /** log p(token[i+1] | tokens[0..i]) for i in 0..n-2 (n-1 values; empty for n < 2). */
  public double[] logprobs(int[] tokens) {
    return logprobs(List.of(tokens)).get(0);
  }

  /** {@link #logprobs(int[])} for several sequences in one batch (right-padded). */
  public List<double[]> logprobs(List<int[]> sequences) {
    int b = sequences.size();
    int t = sequences.stream().mapToInt(s -> s.length).max().orElse(0);
    List<double[]> out = new ArrayList<>();
    if (t < 2) {
      sequences.forEach(s -> out.add(new double[0]));
      return out;
    }
    int vocab = model.config().vocabSize();
    long[] ids = new long[b * t];
    long[] pos = new long[b * t];
    long[] seg = new long[b * t];
    for (int i = 0; i < b; i++) {
      int[] s = sequences.get(i);
      for (int j = 0; j < s.length; j++) {
        if (s[j] < 0 || s[j] >= vocab) {
          throw new IllegalArgumentException("token id " + s[j] + " outside vocab_size " + vocab);
        }
        ids[i * t + j] = s[j];
        pos[i * t + j] = j;
        seg[i * t + j] = 1;
      }
    }
    try (Transformer.NoGrad off = Transformer.NoGrad.enter();
        NDManager m = model.manager().newSubManager()) {
      Shape shape = new Shape(b, t);
      float[] lp = model.tokenLogprobs(m.create(ids, shape), m.create(pos, shape),
          m.create(seg, shape)).toFloatArray();
      for (int i = 0; i < b; i++) {
        int n = Math.max(0, sequences.get(i).length - 1);
        double[] row = new double[n];
        for (int j = 0; j < n; j++) {
          row[j] = lp[i * (t - 1) + j];
        }
        out.add(row);
      }
    }
    return out;
  }


  private static final class Row {
    final int promptTokens;
    final Random rng;
    final List<Integer> tokens = new ArrayList<>();
    String reason;
    boolean endedByToken;

    Row(int promptTokens, Random rng) {
      this.promptTokens = promptTokens;
      this.rng = rng;
    }
  }
}
