package dev.retort.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * A loss over the LM head taken a span of positions at a time, so that a large vocabulary's
 * [B,T,V] logits never exist at once: the trunk's final hidden states are detached, and for each
 * span the head and the span's loss run forward and backward at once (freeing that span's logits
 * and log-softmax), keeping only the span's [B,span,D] hidden-state gradient; the trunk then runs
 * its backward pass once with the gathered gradient. Chunking the forward pass alone would save
 * nothing: autograd keeps every span's log-softmax output for the backward pass. The SFT loss and
 * GRPO's objective both sum per-position terms, so the spans' sum is the whole loss and gradient up
 * to float rounding.
 */
public final class HeadSpans {
  private HeadSpans() {}

  /** One span's scalar loss, from the head's input {@code h} [B, to-from, D] (a leaf that requires gradients). */
  @FunctionalInterface
  public interface SpanLoss {
    NDArray apply(NDArray h, int from, int to);
  }

  /**
   * Runs {@code loss} over spans of {@code chunk} positions of {@code hidden} [B,T,D] (no autograd
   * history) up to {@code positions}, each span forward and backward at once in a manager of its
   * own, and returns the gradient with respect to {@code hidden} in its manager (zero at positions
   * from {@code positions} on: they enter no loss).
   */
  public static NDArray gradient(NDArray hidden, int positions, int chunk, SpanLoss loss) {
    int t = (int) hidden.getShape().get(1);
    int span = chunk <= 0 ? positions : Math.min(chunk, positions);
    NDManager m = hidden.getManager();
    NDList grads = new NDList();
    for (int from = 0; from < positions; from += span) {
      int to = Math.min(positions, from + span);
      try (NDManager c = m.newSubManager()) {
        NDArray h = hidden.get(new NDIndex().addAllDim().addSliceDim(from, to)).duplicate();
        h.attach(c);
        h.setRequiresGradient(true);
        backward(loss.apply(h, from, to), null);
        NDArray g = h.getGradient().duplicate();
        g.attach(m);
        grads.add(g);
      }
    }
    if (positions < t) {
      grads.add(m.zeros(new Shape(hidden.getShape().get(0), t - positions, hidden.getShape().get(2)), hidden.getDataType()));
    }
    return grads.size() == 1 ? grads.get(0) : NDArrays.concat(grads, 1);
  }

  /** Backward from {@code target} with the incoming gradient {@code grad} (null: ones, for a scalar loss). */
  public static void backward(NDArray target, NDArray grad) {
    JniUtils.backward((PtNDArray) target, (PtNDArray) (grad == null ? target.onesLike() : grad), false, false);
  }
}
