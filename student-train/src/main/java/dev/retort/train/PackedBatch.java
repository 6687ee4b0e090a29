package dev.retort.train;

import java.util.List;

/**
 * One batch of packed rows as flat row-major arrays [rows x seqLen], ready to become NDArrays.
 * Samples in a row get segment ids 1, 2, ... and positions restarting at 0, so with the model's
 * segment-causal mask no sample attends to another; padding has segment 0 and weight 0.
 * {@code targets[i]} is the next id of the same sample and {@code weights[i]} is 1 exactly when
 * that next id is a completion (assistant) id: the loss never touches prompt ids, padding, or a
 * prediction across a sample boundary.
 *
 * @param realTokens non-padding ids
 * @param lossTokens positions with weight 1
 */
public record PackedBatch(int rows, int seqLen, long[] tokens, long[] positions, long[] segments, long[] targets,
    float[] weights, int realTokens, int lossTokens) {

  /** Lays out {@code rows} (each a list of sample indices of {@code samples}). */
  public static PackedBatch of(Samples samples, List<int[]> rows, int seqLen) {
    int b = rows.size();
    long[] tokens = new long[b * seqLen];
    long[] positions = new long[b * seqLen];
    long[] segments = new long[b * seqLen];
    long[] targets = new long[b * seqLen];
    float[] weights = new float[b * seqLen];
    int real = 0;
    int loss = 0;
    int[] buf = new int[seqLen];
    for (int r = 0; r < b; r++) {
      int at = r * seqLen;
      int segment = 0;
      for (int s : rows.get(r)) {
        int len = samples.length(s);
        int prompt = samples.promptLength(s);
        if (at + len > (r + 1) * seqLen) {
          throw new IllegalArgumentException("row " + r + " overflows seq-len " + seqLen);
        }
        samples.copyTokens(s, buf, 0);
        segment++;
        for (int j = 0; j < len; j++) {
          tokens[at + j] = buf[j];
          positions[at + j] = j;
          segments[at + j] = segment;
          if (j + 1 < len) {
            targets[at + j] = buf[j + 1];
            if (j + 1 >= prompt) {
              weights[at + j] = 1f;
              loss++;
            }
          }
        }
        at += len;
        real += len;
      }
    }
    return new PackedBatch(b, seqLen, tokens, positions, segments, targets, weights, real, loss);
  }

  /** Loss positions of {@code rows} without building the arrays (for the step's normalizer). */
  public static int lossTokens(Samples samples, List<int[]> rows) {
    int n = 0;
    for (int[] row : rows) {
      for (int s : row) {
        n += Math.max(0, samples.length(s) - Math.max(samples.promptLength(s), 1));
      }
    }
    return n;
  }
}
