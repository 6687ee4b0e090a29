package dev.retort.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.retort.model.Transformer;

/**
 * The SFT objective on a packed batch: {@code -sum(weights * log p(target)) / normalizer}. With
 * the normalizer set to the completion tokens of the whole optimizer step (all micro-batches, all
 * devices), the summed gradients are exactly those of the per-token mean over the step, however
 * the step is split.
 *
 * <p>No {@code NDArray.mul(Number)} (or add/div/sub with a Java number) on tensors that require
 * gradients: DJL 0.35.1's PyTorch engine turns the number into a 0-d tensor over a direct
 * ByteBuffer (from_blob, no copy) and closes it right after the op, while autograd keeps that
 * tensor for the backward pass; once the GC frees the buffer, the backward reads freed memory and
 * the gradient comes out scaled by garbage (seen as sporadic huge, infinite or NaN gradient norms
 * that a rerun of the same step does not reproduce). Scalars go into arrays that outlive the
 * backward pass, or, as here, into the data.
 */
public final class SftLoss {
  private SftLoss() {}

  /**
   * Computes the loss of {@code b} and runs its backward pass (gradients accumulate into the
   * model's parameters, as a GradientCollector's backward does); returns the loss value. Called
   * with grad mode on, inside a GradientCollector.
   *
   * <p>With {@code chunk > 0} the [B,T,V] logits never exist at once: the LM head, log-softmax
   * and the weighted sum run a span of {@code chunk} positions at a time ({@link HeadSpans}). The
   * loss is a sum over positions, so the gradients equal the unchunked ones up to float rounding.
   * {@code chunk <= 0}, or a chunk not shorter than the row: one span over the whole row (the
   * plain computation).
   */
  public static double lossAndBackward(Transformer model, PackedBatch b, NDManager m, double normalizer, int chunk) {
    return lossAndBackward(model, b, m, normalizer, chunk, false);
  }

  /**
   * {@link #lossAndBackward(Transformer, PackedBatch, NDManager, double, int)}, with
   * {@code recompute} through {@link Transformer#backwardWithRecompute}: only each layer's input is
   * kept from the forward pass and the layers run forward again during the backward pass (one more
   * forward pass of compute for the memory of all layers' activations but one).
   */
  public static double lossAndBackward(Transformer model, PackedBatch b, NDManager m, double normalizer, int chunk,
      boolean recompute) {
    int t = b.seqLen();
    if (!recompute && (chunk <= 0 || chunk >= t)) {
      NDArray l = loss(model, b, m, normalizer);
      HeadSpans.backward(l, null);
      return l.getFloat();
    }
    Shape shape = new Shape(b.rows(), t);
    NDArray tokens = m.create(b.tokens(), shape);
    NDArray positions = m.create(b.positions(), shape);
    NDArray segments = m.create(b.segments(), shape);
    NDArray targets = m.create(b.targets(), shape).expandDims(2);
    NDArray weights = m.create(scaledWeights(b, normalizer), shape);
    double[] total = {0};
    if (recompute) {
      model.backwardWithRecompute(tokens, positions, segments,
          hidden -> headBackward(model, hidden, targets, weights, chunk, total));
    } else {
      NDArray hidden = model.hidden(tokens, positions, segments);
      HeadSpans.backward(hidden, headBackward(model, hidden.stopGradient(), targets, weights, chunk, total));
    }
    return total[0];
  }

  /**
   * The LM head and the weighted log-likelihood over spans of {@code chunk} positions of
   * {@code hidden} [B,T,D] (no autograd history), through {@link HeadSpans}; adds the loss to
   * {@code total[0]} and returns its gradient with respect to {@code hidden}, in {@code hidden}'s
   * manager.
   */
  private static NDArray headBackward(Transformer model, NDArray hidden, NDArray targets, NDArray weights, int chunk,
      double[] total) {
    return HeadSpans.gradient(hidden, (int) hidden.getShape().get(1), chunk, (h, from, to) -> {
      NDIndex index = new NDIndex().addAllDim().addSliceDim(from, to);
      NDArray logits = model.head(h);
      NDArray logp = logits.logSoftmax(2);
      logits.close(); // [B, span, V]: the backward pass needs only the log-softmax output, which autograd keeps
      NDArray l = logp.gather(targets.get(index), 2).squeeze(2).mul(weights.get(index)).sum();
      total[0] += l.getFloat();
      return l;
    });
  }

  /** The loss weights with {@code -1/normalizer} folded in, in Java (see the class comment). */
  private static float[] scaledWeights(PackedBatch b, double normalizer) {
    float[] w = b.weights().clone();
    float scale = (float) (-1.0 / normalizer);
    for (int i = 0; i < w.length; i++) {
      w[i] *= scale;
    }
    return w;
  }

  /** Scalar loss in {@code m} (differentiable inside a GradientCollector), over the full [B,T,V] logits. */
  public static NDArray loss(Transformer model, PackedBatch b, NDManager m, double normalizer) {
    Shape shape = new Shape(b.rows(), b.seqLen());
    NDArray tokens = m.create(b.tokens(), shape);
    NDArray positions = m.create(b.positions(), shape);
    NDArray segments = m.create(b.segments(), shape);
    NDArray targets = m.create(b.targets(), shape).expandDims(2);
    NDArray weights = m.create(scaledWeights(b, normalizer), shape);
    NDArray logits = model.forward(tokens, positions, segments);
    NDArray picked = logits.logSoftmax(2).gather(targets, 2).squeeze(2);
    return picked.mul(weights).sum();
  }

  /** Per-position log-probabilities of the targets [rows, seqLen] (no gradient; tests and eval). */
  public static NDArray targetLogprobs(Transformer model, PackedBatch b, NDManager m) {
    Shape shape = new Shape(b.rows(), b.seqLen());
    NDArray logits = model.forward(m.create(b.tokens(), shape), m.create(b.positions(), shape),
        m.create(b.segments(), shape));
    return logits.logSoftmax(2).gather(m.create(b.targets(), shape).expandDims(2), 2).squeeze(2)
        .toType(DataType.FLOAT32, false);
  }
}
