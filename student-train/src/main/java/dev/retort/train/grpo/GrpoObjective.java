package dev.retort.train.grpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.retort.model.Transformer;
import dev.retort.train.HeadSpans;

/**
 * The clipped policy-gradient objective of GRPO (DeepSeekMath, eq. 3), per completion token t of
 * completion i with advantage A_i:
 *
 * <pre>
 *   ratio = exp(logp - logp_old)
 *   pg    = -min(ratio * A, clip(ratio, 1 - eps, 1 + eps) * A)
 *   kl    = exp(logp_ref - logp) - (logp_ref - logp) - 1          (k3: unbiased, always >= 0)
 *   loss  = sum_i w_i * sum_t (pg + beta * kl)
 * </pre>
 *
 * where w_i is the variant's normalizer: {@code 1 / (N * |o_i|)} for GRPO (mean over the
 * completion's tokens, then over the N completions of the step) and {@code 1 / (N * max_new_tokens)}
 * for Dr. GRPO. Because the loss is a plain sum over completions, micro-batches add up to exactly
 * the full step's gradient.
 *
 * <p>Log-probabilities are taken from logits divided by the sampling temperature, so the ratio
 * compares the distribution the samples actually came from (as TRL does). With one update per
 * batch, {@code logp_old} is {@code logp} with the gradient stopped: the ratio is 1 and its
 * gradient is the plain policy gradient A * grad(logp).
 *
 * <p>Both log-ratios are multiplied by the mask before exponentiation and clamped to +-20, so
 * padding and pathological tokens can never produce inf * 0 = NaN.
 */
final class GrpoObjective {
  /** Clamp of log-ratios before exp (e^20 is far beyond any ratio the clip range keeps). */
  static final float MAX_LOG_RATIO = 20f;

  private GrpoObjective() {}

  /**
   * Log-probabilities [rows, len-1] of each next token under {@code model} at {@code temperature}:
   * element [r, j] is log p(tokens[r, j+1] | tokens[r, 0..j]). Differentiable inside a
   * GradientCollector; results live in {@code m}.
   */
  static NDArray tokenLogprobs(Transformer model, SeqBatch b, NDManager m, double temperature) {
    Shape shape = new Shape(b.rows(), b.len());
    NDArray tokens = m.create(b.tokens(), shape);
    NDArray logits = model.forward(tokens, m.create(b.positions(), shape), m.create(b.segments(), shape));
    NDArray head = logits.get(new NDIndex().addAllDim().addSliceDim(0, b.len() - 1));
    if (temperature != 1.0) {
      head = head.div(head.getManager().create((float) temperature)); // NDArray operand: see Transformer.attention
    }
    NDArray next = tokens.get(new NDIndex().addAllDim().addSliceDim(1, b.len())).expandDims(2);
    return head.logSoftmax(2).gather(next, 2).squeeze(2);
  }

  /**
   * The objective's totals over one batch, after its gradient was added to the parameters'.
   *
   * @param loss the objective's value
   * @param clippedTokens completion tokens whose clipped branch was the active one
   * @param klSum sum of k3 over completion tokens; NaN without a reference
   * @param maskedTokens completion tokens in the batch
   * @param logp the log-probabilities [rows * (len-1)] the objective used, without gradient
   */
  record Totals(double loss, double clippedTokens, double klSum, double maskedTokens, float[] logp) {}

  /**
   * The objective on {@code b} and its backward pass into the parameters' gradients (call inside
   * a GradientCollector), with the LM head applied {@code chunk} positions at a time
   * ({@link HeadSpans}), so the [rows, len, V] logits never exist at once. Every
   * term is a function of one position's log-probability, so the sum over spans is the whole
   * batch's objective and gradient up to float rounding. {@code chunk <= 0}, or a chunk not
   * shorter than the batch: one pass over the whole batch ({@link #tokenLogprobs} then
   * {@link #terms}).
   *
   * @param oldLogp log-probabilities of the sampling policy [rows * (len-1)], or null (see {@link #terms})
   * @param refLogp the reference's log-probabilities [rows * (len-1)], or null
   */
  static Totals lossAndBackward(Transformer model, SeqBatch b, NDManager m, double temperature, float[] oldLogp,
      float[] refLogp, double clipEps, double klCoef, int chunk) {
    int n = b.len() - 1;
    Shape shape = new Shape(b.rows(), n);
    NDArray mask = m.create(b.mask(), shape);
    NDArray adv = m.create(b.advantages(), new Shape(b.rows(), 1));
    NDArray weight = m.create(b.weights(), new Shape(b.rows(), 1));
    NDArray old = oldLogp == null ? null : m.create(oldLogp, shape);
    NDArray ref = refLogp == null ? null : m.create(refLogp, shape);
    if (chunk <= 0 || chunk >= n) {
      NDArray logp = tokenLogprobs(model, b, m, temperature);
      Terms t = terms(logp, old, ref, mask, adv, weight, m, clipEps, klCoef);
      HeadSpans.backward(t.loss(), null);
      return new Totals(t.loss().getFloat(), t.clippedTokens().getFloat(), t.klSum() == null ? Double.NaN : t.klSum().getFloat(),
          t.maskedTokens().getFloat(), logp.stopGradient().toFloatArray());
    }
    Shape full = new Shape(b.rows(), b.len());
    NDArray tokens = m.create(b.tokens(), full);
    NDArray hidden = model.hidden(tokens, m.create(b.positions(), full), m.create(b.segments(), full));
    float[] logp = new float[b.rows() * n];
    double[] sums = {0, 0, ref == null ? Double.NaN : 0, 0}; // loss, clipped, kl, masked
    // The last position predicts nothing: HeadSpans leaves its gradient zero.
    NDArray grad = HeadSpans.gradient(hidden.stopGradient(), n, chunk, (h, from, to) -> {
      NDIndex span = new NDIndex().addAllDim().addSliceDim(from, to);
      NDArray picked = spanLogprobs(model, h, tokens.get(new NDIndex().addAllDim().addSliceDim(from + 1, to + 1)), temperature);
      Terms t = terms(picked, old == null ? null : old.get(span), ref == null ? null : ref.get(span), mask.get(span), adv,
          weight, h.getManager(), clipEps, klCoef);
      sums[0] += t.loss().getFloat();
      sums[1] += t.clippedTokens().getFloat();
      sums[3] += t.maskedTokens().getFloat();
      if (t.klSum() != null) {
        sums[2] += t.klSum().getFloat();
      }
      place(picked.stopGradient().toFloatArray(), logp, b.rows(), n, from, to);
      return t.loss();
    });
    HeadSpans.backward(hidden, grad);
    return new Totals(sums[0], sums[1], sums[2], sums[3], logp);
  }

  /**
   * Log-probabilities [rows * (len-1)] of each next token, without gradient, the LM head applied
   * {@code chunk} positions at a time ({@code chunk <= 0}: all at once).
   */
  static float[] logprobValues(Transformer model, SeqBatch b, NDManager m, double temperature, int chunk) {
    int n = b.len() - 1;
    if (chunk <= 0 || chunk >= n) {
      return tokenLogprobs(model, b, m, temperature).toFloatArray();
    }
    Shape full = new Shape(b.rows(), b.len());
    NDArray tokens = m.create(b.tokens(), full);
    NDArray hidden = model.hidden(tokens, m.create(b.positions(), full), m.create(b.segments(), full));
    float[] out = new float[b.rows() * n];
    for (int from = 0; from < n; from += chunk) {
      int to = Math.min(n, from + chunk);
      try (NDManager c = m.newSubManager()) {
        NDArray h = hidden.get(new NDIndex().addAllDim().addSliceDim(from, to));
        h.attach(c); // the span's logits and log-softmax are made in c and freed with it
        place(spanLogprobs(model, h, tokens.get(new NDIndex().addAllDim().addSliceDim(from + 1, to + 1)), temperature)
            .toFloatArray(), out, b.rows(), n, from, to);
      }
    }
    return out;
  }

  /** Copies a span's values [rows, to-from] into columns from..to-1 of {@code into} [rows, n]. */
  private static void place(float[] span, float[] into, int rows, int n, int from, int to) {
    for (int r = 0; r < rows; r++) {
      System.arraycopy(span, r * (to - from), into, r * n + from, to - from);
    }
  }

  /** log p(next | hidden) at {@code temperature} for hidden states [rows, span, D] and next ids [rows, span]. */
  private static NDArray spanLogprobs(Transformer model, NDArray h, NDArray next, double temperature) {
    NDArray logits = model.head(h);
    if (temperature != 1.0) {
      logits = logits.div(logits.getManager().create((float) temperature)); // NDArray operand: see Transformer.attention
    }
    return logits.logSoftmax(2).gather(next.expandDims(2), 2).squeeze(2);
  }

  /**
   * The objective's terms for one batch.
   *
   * @param loss scalar to differentiate
   * @param clippedTokens scalar: completion tokens whose clipped branch was the active one (no gradient)
   * @param klSum scalar: sum of k3 over completion tokens, or null without a reference
   * @param maskedTokens scalar: completion tokens in the batch
   */
  record Terms(NDArray loss, NDArray clippedTokens, NDArray klSum, NDArray maskedTokens) {}

  /**
   * @param logp current log-probabilities [rows, len-1] (with gradient)
   * @param oldLogp log-probabilities of the sampling policy, or null to use {@code logp} with the
   *     gradient stopped (the first update on a batch)
   * @param refLogp the frozen reference's log-probabilities, or null (no KL term, no KL metric)
   */
  static Terms terms(NDArray logp, NDArray oldLogp, NDArray refLogp, SeqBatch b, NDManager m, double clipEps,
      double klCoef) {
    return terms(logp, oldLogp, refLogp, m.create(b.mask(), new Shape(b.rows(), b.len() - 1)),
        m.create(b.advantages(), new Shape(b.rows(), 1)), m.create(b.weights(), new Shape(b.rows(), 1)), m, clipEps, klCoef);
  }

  /**
   * {@link #terms(NDArray, NDArray, NDArray, SeqBatch, NDManager, double, double)} on positions
   * given by their mask [rows, span], with the rows' advantages and weights [rows, 1].
   */
  static Terms terms(NDArray logp, NDArray oldLogp, NDArray refLogp, NDArray mask, NDArray adv, NDArray weight, NDManager m,
      double clipEps, double klCoef) {
    NDArray old = oldLogp == null ? logp.stopGradient() : oldLogp;
    NDArray ratio = logp.sub(old).mul(mask).clip(-MAX_LOG_RATIO, MAX_LOG_RATIO).exp();
    float lo = (float) (1 - clipEps);
    float hi = (float) (1 + clipEps);
    NDArray unclipped = ratio.mul(adv);
    NDArray clipped = ratio.clip(lo, hi).mul(adv);
    NDArray perToken = unclipped.minimum(clipped).neg();
    NDArray klSum = null;
    if (refLogp != null) {
      NDArray d = refLogp.sub(logp).mul(mask).clip(-MAX_LOG_RATIO, MAX_LOG_RATIO);
      NDArray k3 = d.exp().sub(d).sub(1f);
      if (klCoef > 0) {
        perToken = perToken.add(k3.mul(k3.getManager().create((float) klCoef)));
      }
      klSum = k3.stopGradient().mul(mask).sum();
    }
    NDArray loss = perToken.mul(mask).mul(weight).sum();
    // Where the clipped branch is the smaller one the token's gradient is zero: the clip fraction.
    NDArray r = ratio.stopGradient();
    NDArray a = adv.broadcast(r.getShape());
    NDArray active = r.lt(lo).logicalAnd(a.lt(0f)).logicalOr(r.gt(hi).logicalAnd(a.gt(0f)));
    NDArray clippedTokens = active.toType(DataType.FLOAT32, false).mul(mask).sum();
    return new Terms(loss, clippedTokens, klSum, mask.sum());
  }
}
