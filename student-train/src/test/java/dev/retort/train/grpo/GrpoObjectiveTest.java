package dev.retort.train.grpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.retort.model.ModelConfig;
import dev.retort.model.Sampler;
import dev.retort.model.Transformer;
import dev.retort.train.AdamW;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The objective on a tiny random model: gradient direction, KL, clipping, batching. */
class GrpoObjectiveTest {
  static {
    GrpoFixtures.init(); // thread settings before the engine starts
  }

  private static final ModelConfig CONFIG = ModelConfig.of("qwen2", 24, 32, 64, 2, 4, 2, true);
  private static final int[] PROMPT = {1, 2, 3, 4, 5};
  private NDManager root;

  @BeforeEach
  void setUp() {
    Engine.getInstance(); // loads the native library before JniUtils is used
    JniUtils.setGradMode(false);
    root = NDManager.newBaseManager();
  }

  @AfterEach
  void tearDown() {
    root.close();
  }

  private Transformer model(long seed) {
    return Transformer.create(CONFIG, seed, root.newSubManager());
  }

  private static PolicySequence seq(int[] completion, double advantage, double weight) {
    int[] all = new int[PROMPT.length + completion.length];
    System.arraycopy(PROMPT, 0, all, 0, PROMPT.length);
    System.arraycopy(completion, 0, all, PROMPT.length, completion.length);
    return new PolicySequence(all, PROMPT.length, advantage, weight);
  }

  /** Sum of the completion's token log-probabilities, without a graph. */
  private static double completionLogp(Transformer model, PolicySequence s, double temperature) {
    SeqBatch b = SeqBatch.of(List.of(s));
    try (NDManager m = model.manager().newSubManager()) {
      float[] lp = GrpoObjective.tokenLogprobs(model, b, m, temperature).toFloatArray();
      double sum = 0;
      for (int j = 0; j < lp.length; j++) {
        sum += lp[j] * b.mask()[j];
      }
      return sum;
    }
  }

  /** Runs the objective over the chunks (one backward each) and returns the summed gradients, then zeroes them. */
  private static Map<String, float[]> gradients(Transformer model, List<List<PolicySequence>> chunks,
      Function<SeqBatch, float[]> oldLogp, Function<SeqBatch, float[]> refLogp, double klCoef, double[] clipOut) {
    double clipped = 0;
    double tokens = 0;
    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      for (List<PolicySequence> chunk : chunks) {
        SeqBatch b = SeqBatch.of(chunk);
        try (NDManager m = model.manager().newSubManager()) {
          Shape shape = new Shape(b.rows(), b.len() - 1);
          NDArray logp = GrpoObjective.tokenLogprobs(model, b, m, 1.0);
          NDArray old = oldLogp == null ? null : m.create(oldLogp.apply(b), shape);
          NDArray ref = refLogp == null ? null : m.create(refLogp.apply(b), shape);
          GrpoObjective.Terms t = GrpoObjective.terms(logp, old, ref, b, m, 0.2, klCoef);
          gc.backward(t.loss());
          clipped += t.clippedTokens().getFloat();
          tokens += t.maskedTokens().getFloat();
          if (clipOut != null && clipOut.length > 1 && t.klSum() != null) {
            clipOut[1] += t.klSum().getFloat();
          }
        }
      }
    }
    if (clipOut != null) {
      clipOut[0] = clipped / tokens;
    }
    Map<String, float[]> out = new LinkedHashMap<>();
    model.weights().forEach((name, p) -> {
      try (NDArray g = p.getGradient()) {
        out.put(name, g.toFloatArray());
      }
      JniUtils.zeroGrad((PtNDArray) p);
    });
    return out;
  }

  private static double norm(Map<String, float[]> grads) {
    double ss = 0;
    for (float[] g : grads.values()) {
      for (float x : g) {
        ss += (double) x * x;
      }
    }
    return Math.sqrt(ss);
  }

  private static float[] logpOf(Transformer model, SeqBatch b) {
    try (NDManager m = model.manager().newSubManager()) {
      return GrpoObjective.tokenLogprobs(model, b, m, 1.0).toFloatArray();
    }
  }

  @Test
  void oneUpdateRaisesTheAboveAverageCompletionAndLowersTheOther() {
    Transformer model = model(11);
    PolicySequence a = seq(new int[] {6, 7, 8}, +1, 1.0 / (2 * 3));
    PolicySequence b = seq(new int[] {9, 10, 11, 12}, -1, 1.0 / (2 * 4));
    double a0 = completionLogp(model, a, 1.0);
    double b0 = completionLogp(model, b, 1.0);
    try (AdamW opt = new AdamW(model.weights(), 0.9, 0.999, 1e-8, 0, AdamW::matricesOnly)) {
      try (GradientCollector gc = Engine.getInstance().newGradientCollector();
          NDManager m = model.manager().newSubManager()) {
        SeqBatch batch = SeqBatch.of(List.of(a, b));
        NDArray logp = GrpoObjective.tokenLogprobs(model, batch, m, 1.0);
        GrpoObjective.Terms t = GrpoObjective.terms(logp, null, null, batch, m, 0.2, 0);
        // With the ratio at 1 the surrogate's value is -sum(w * A * 1) over completion tokens.
        assertEquals(-(3 * (1.0 / 6) * 1 + 4 * (1.0 / 8) * -1), t.loss().getFloat(), 1e-6);
        gc.backward(t.loss());
      }
      opt.step(1e-2, 1.0);
    }
    double a1 = completionLogp(model, a, 1.0);
    double b1 = completionLogp(model, b, 1.0);
    assertTrue(a1 > a0 + 1e-3, "logp(A) should rise: " + a0 + " -> " + a1);
    assertTrue(b1 < b0 - 1e-3, "logp(B) should fall: " + b0 + " -> " + b1);
  }

  @Test
  void klToItselfIsZeroWithZeroGradient() {
    Transformer model = model(5);
    Transformer ref = model(5); // the same seed: the same weights
    List<PolicySequence> seqs = List.of(seq(new int[] {6, 7}, 0, 0.25), seq(new int[] {8, 9, 10}, 0, 0.25));
    double[] stats = new double[2];
    Map<String, float[]> g = gradients(model, List.of(seqs), null, b -> logpOf(ref, b), 0.5, stats);
    assertEquals(0.0, stats[1], 1e-6, "k3 KL of a model to itself");
    assertEquals(0.0, norm(g), 1e-6, "no gradient from a zero KL and zero advantages");

    // Move the policy away from the reference: the k3 estimate becomes positive.
    try (AdamW opt = new AdamW(model.weights(), 0.9, 0.999, 1e-8, 0, AdamW::matricesOnly)) {
      List<PolicySequence> push = List.of(seq(new int[] {6, 7}, 1, 0.5), seq(new int[] {8, 9, 10}, -1, 0.5));
      try (GradientCollector gc = Engine.getInstance().newGradientCollector();
          NDManager m = model.manager().newSubManager()) {
        SeqBatch b = SeqBatch.of(push);
        gc.backward(GrpoObjective.terms(GrpoObjective.tokenLogprobs(model, b, m, 1.0), null, null, b, m, 0.2, 0).loss());
      }
      opt.step(5e-2, 1.0);
    }
    double[] after = new double[2];
    Map<String, float[]> g2 = gradients(model, List.of(seqs), null, b -> logpOf(ref, b), 0.5, after);
    assertTrue(after[1] > 1e-6, "KL after an update should be positive, got " + after[1]);
    assertTrue(norm(g2) > 1e-6, "the KL term pulls back toward the reference");
  }

  @Test
  void tokensWhoseRatioLeftTheClipRangeInTheAdvantagesDirectionGetNoGradient() {
    Transformer model = model(3);
    // old = logp - 0.7: ratio e^0.7 ~ 2.01 > 1 + eps.
    Function<SeqBatch, float[]> old = b -> {
      float[] lp = logpOf(model, b);
      for (int i = 0; i < lp.length; i++) {
        lp[i] -= 0.7f;
      }
      return lp;
    };
    double[] stats = new double[1];
    Map<String, float[]> up = gradients(model, List.of(List.of(seq(new int[] {6, 7, 8}, 1, 1.0 / 3))), old, null, 0, stats);
    assertEquals(1.0, stats[0], 1e-9, "every token clipped");
    assertEquals(0.0, norm(up), 1e-9);
    Map<String, float[]> down = gradients(model, List.of(List.of(seq(new int[] {6, 7, 8}, -1, 1.0 / 3))), old, null, 0, stats);
    assertEquals(0.0, stats[0], 1e-9, "a negative advantage keeps the unclipped (smaller) branch");
    assertTrue(norm(down) > 1e-6);
  }

  @Test
  void microBatchesAddUpToTheFullBatchGradient() {
    Transformer model = model(9);
    Transformer ref = model(10);
    List<PolicySequence> seqs = new ArrayList<>();
    seqs.add(seq(new int[] {6, 7, 8, 9}, 0.8, 1.0 / (4 * 4)));
    seqs.add(seq(new int[] {10, 11}, -0.3, 1.0 / (4 * 2)));
    seqs.add(seq(new int[] {12, 13, 14}, 1.2, 1.0 / (4 * 3)));
    seqs.add(seq(new int[] {15}, -1.7, 1.0 / (4 * 1)));
    Map<String, float[]> whole = gradients(model, List.of(seqs), null, b -> logpOf(ref, b), 0.1, null);
    Map<String, float[]> parts = gradients(model, List.of(seqs.subList(0, 1), seqs.subList(1, 3), seqs.subList(3, 4)), null,
        b -> logpOf(ref, b), 0.1, null);
    double diff = 0;
    for (String k : whole.keySet()) {
      float[] x = whole.get(k);
      float[] y = parts.get(k);
      for (int i = 0; i < x.length; i++) {
        diff = Math.max(diff, Math.abs(x[i] - y[i]));
      }
    }
    assertTrue(norm(whole) > 1e-4);
    assertTrue(diff < 1e-6 * Math.max(1, norm(whole)), "padding or batching changed the gradient by " + diff);
  }

  @Test
  void paddedBatchLogprobsMatchTheSamplersAndApplyTheTemperature() {
    Transformer model = model(21);
    PolicySequence longer = seq(new int[] {6, 7, 8, 9, 10, 11}, 0, 1);
    PolicySequence shorter = seq(new int[] {12}, 0, 1);
    SeqBatch b = SeqBatch.of(List.of(longer, shorter));
    float[] batched = logpOf(model, b);
    List<double[]> alone = new Sampler(model, null).logprobs(List.of(longer.tokens(), shorter.tokens()));
    for (int r = 0; r < 2; r++) {
      for (int j = 0; j < alone.get(r).length; j++) {
        assertEquals(alone.get(r)[j], batched[r * (b.len() - 1) + j], 1e-5, "row " + r + " position " + j);
      }
    }
    // Temperature 2: log_softmax(logits / 2) of the next token, computed here in Java.
    double t = 2.0;
    int[] toks = longer.tokens();
    float[] logits;
    try (NDManager m = model.manager().newSubManager()) {
      long[][] ids = {java.util.Arrays.stream(toks).asLongStream().toArray()};
      logits = model.logits(m, ids).toFloatArray();
    }
    double expected = 0;
    int v = CONFIG.vocabSize();
    for (int j = PROMPT.length - 1; j < toks.length - 1; j++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < v; k++) {
        max = Math.max(max, logits[j * v + k] / t);
      }
      double z = 0;
      for (int k = 0; k < v; k++) {
        z += Math.exp(logits[j * v + k] / t - max);
      }
      expected += logits[j * v + toks[j + 1]] / t - max - Math.log(z);
    }
    assertEquals(expected, completionLogp(model, longer, t), 1e-4);
  }

  /**
   * The chunked objective (the LM head and the terms over spans of positions) gives the unchunked
   * one's value, metrics, log-probabilities and parameter gradients: rows of different lengths,
   * spans that do not divide the length, a temperature, a sampling policy that differs from the
   * current one (ratios away from 1, some clipped) and a KL term to another model.
   */
  @Test
  @SuppressWarnings("try") // a resource held for its scope only (a gradient recording)
  void chunkedObjectiveEqualsTheWholeOne() {
    Transformer model = model(13);
    Transformer ref = model(14);
    List<PolicySequence> seqs = List.of(
        seq(new int[] {6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, 1.2, 1.0 / 33),
        seq(new int[] {17, 18, 19}, -0.7, 1.0 / 9),
        seq(new int[] {20, 21, 22, 23, 1, 2, 3}, 0.4, 1.0 / 21));
    SeqBatch b = SeqBatch.of(seqs);
    double temperature = 0.7;
    float[] refLogp;
    float[] oldLogp;
    try (NDManager m = model.manager().newSubManager()) {
      refLogp = GrpoObjective.tokenLogprobs(ref, b, m, temperature).toFloatArray();
      oldLogp = GrpoObjective.tokenLogprobs(model, b, m, temperature).toFloatArray();
    }
    java.util.SplittableRandom r = new java.util.SplittableRandom(3);
    for (int i = 0; i < oldLogp.length; i++) {
      oldLogp[i] += (float) (r.nextDouble() - 0.5); // ratios up to e^0.5: both sides of the clip range
    }
    GrpoObjective.Totals[] totals = new GrpoObjective.Totals[2];
    List<Map<String, float[]>> grads = new ArrayList<>();
    int[] chunks = {0, 4};
    for (int k = 0; k < 2; k++) {
      try (GradientCollector gc = Engine.getInstance().newGradientCollector();
          NDManager m = model.manager().newSubManager()) {
        totals[k] = GrpoObjective.lossAndBackward(model, b, m, temperature, oldLogp, refLogp, 0.2, 0.3, chunks[k]);
      }
      Map<String, float[]> g = new LinkedHashMap<>();
      model.weights().forEach((name, p) -> {
        try (NDArray x = p.getGradient()) {
          g.put(name, x.toFloatArray());
        }
        JniUtils.zeroGrad((PtNDArray) p);
      });
      grads.add(g);
    }
    GrpoObjective.Totals whole = totals[0];
    GrpoObjective.Totals chunked = totals[1];
    assertTrue(whole.clippedTokens() > 0 && whole.clippedTokens() < whole.maskedTokens(), "some tokens clipped: " + whole);
    assertEquals(whole.loss(), chunked.loss(), 1e-6);
    assertEquals(whole.clippedTokens(), chunked.clippedTokens());
    assertEquals(whole.maskedTokens(), chunked.maskedTokens());
    assertEquals(whole.klSum(), chunked.klSum(), 1e-5);
    for (int i = 0; i < whole.logp().length; i++) {
      assertEquals(whole.logp()[i], chunked.logp()[i], 1e-5, "logp " + i);
    }
    try (NDManager m = ref.manager().newSubManager()) {
      float[] values = GrpoObjective.logprobValues(ref, b, m, temperature, 4);
      for (int i = 0; i < values.length; i++) {
        assertEquals(refLogp[i], values[i], 1e-5, "reference logp " + i);
      }
    }
    double worst = 0;
    double scale = norm(grads.get(0));
    assertTrue(scale > 1e-4, "a gradient to compare: " + scale);
    for (String name : grads.get(0).keySet()) {
      float[] x = grads.get(0).get(name);
      float[] y = grads.get(1).get(name);
      for (int i = 0; i < x.length; i++) {
        worst = Math.max(worst, Math.abs(x[i] - y[i]));
      }
    }
    assertTrue(worst < 1e-5 * Math.max(1, scale), "max |gradient difference| " + worst + " (norm " + scale + ")");
  }
}
