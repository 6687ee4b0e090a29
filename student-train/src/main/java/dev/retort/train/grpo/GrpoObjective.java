package dev.retort.train.grpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.retort.model.Transformer;

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
    NDArray mask = m.create(b.mask(), new Shape(b.rows(), b.len() - 1));
    NDArray adv = m.create(b.advantages(), new Shape(b.rows(), 1));
    NDArray weight = m.create(b.weights(), new Shape(b.rows(), 1));
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
