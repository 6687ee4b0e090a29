package dev.retort.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Collection;

/**
 * Global-norm gradient clipping (DJL's optClipGrad clamps each element, and only from above).
 * The norm is reduced on the device and read once; the resulting factor is applied inside the
 * optimizer update ({@link AdamW#step}), so the gradients are never rewritten.
 */
public final class GradClip {
  private GradClip() {}

  /** sqrt(sum of squares of every gradient), one device-to-host read. */
  public static double globalNorm(Collection<NDArray> grads) {
    if (grads.isEmpty()) {
      return 0;
    }
    NDManager m = grads.iterator().next().getManager();
    try (NDManager tmp = m.newSubManager()) {
      // Borrowed into tmp: every intermediate lands there and dies with it, the gradients go back.
      tmp.tempAttachAll(grads.toArray(new NDArray[0]));
      NDArray total = null;
      for (NDArray g : grads) {
        // Each square freed at once: kept until tmp closes they would be a copy of every gradient.
        NDArray sq;
        try (NDArray squares = g.square()) {
          sq = squares.sum();
        }
        total = total == null ? sq : total.add(sq);
      }
      return Math.sqrt(total.getFloat());
    }
  }

  /** The factor that brings {@code norm} down to {@code maxNorm} (1 when below it, or when maxNorm is 0). */
  public static double scale(double norm, double maxNorm) {
    if (maxNorm <= 0 || !(norm > maxNorm)) {
      return 1.0;
    }
    return maxNorm / (norm + 1e-6);
  }
}
