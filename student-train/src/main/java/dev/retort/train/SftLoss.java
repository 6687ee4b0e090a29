package dev.retort.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
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

  /** Scalar loss in {@code m} (differentiable inside a GradientCollector). */
  public static NDArray loss(Transformer model, PackedBatch b, NDManager m, double normalizer) {
    Shape shape = new Shape(b.rows(), b.seqLen());
    NDArray tokens = m.create(b.tokens(), shape);
    NDArray positions = m.create(b.positions(), shape);
    NDArray segments = m.create(b.segments(), shape);
    NDArray targets = m.create(b.targets(), shape).expandDims(2);
    // The normalizer is folded into the weights here, in Java: NDArray.mul(Number) on a tensor that
    // requires grad is unsafe in DJL 0.35.1 (see the class comment).
    float[] w = b.weights().clone();
    float scale = (float) (-1.0 / normalizer);
    for (int i = 0; i < w.length; i++) {
      w[i] *= scale;
    }
    NDArray weights = m.create(w, shape);
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
