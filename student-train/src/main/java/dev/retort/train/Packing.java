package dev.retort.train;

import dev.retort.core.Hashing;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntUnaryOperator;

/**
 * Reproducible per-epoch order and packing. The order of epoch {@code e} is a Fisher-Yates
 * shuffle seeded by (seed, e) alone, so a resumed run replays the exact order of the killed one
 * without saving it. Packing is a deterministic bounded first-fit: each sample goes into the first
 * of a few open rows with room for it, so rows fill up (little padding) while the data order is
 * kept up to a small window.
 */
public final class Packing {
  /** Open rows the packer keeps; more means fuller rows and a looser order. */
  public static final int OPEN_ROWS = 8;

  private Packing() {}

  /** A permutation of 0..n-1 that depends on (seed, epoch) only. */
  public static int[] order(int n, long seed, int epoch) {
    return permutation(n, Hashing.mix64(seed) ^ Hashing.mix64(0x5DEECE66DL + epoch));
  }

  /** The Fisher-Yates permutation of 0..n-1 drawn from {@code SplittableRandom(seed)}. */
  public static int[] permutation(int n, long seed) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /**
   * Packs samples, in {@code order}, into rows of at most {@code seqLen} tokens. Rows are emitted
   * when full, when a new row is needed and {@code openRows} are already open (the oldest goes),
   * and at the end in opening order.
   *
   * @throws IllegalArgumentException if a sample is longer than seqLen (callers check earlier)
   */
  public static List<int[]> pack(int[] order, IntUnaryOperator length, int seqLen, int openRows) {
    List<int[]> out = new ArrayList<>();
    List<Row> open = new ArrayList<>();
    for (int s : order) {
      int len = length.applyAsInt(s);
      if (len > seqLen) {
        throw new IllegalArgumentException("sample " + s + " has " + len + " tokens, more than seq-len " + seqLen);
      }
      Row target = null;
      for (Row r : open) {
        if (r.used + len <= seqLen) {
          target = r;
          break;
        }
      }
      if (target == null) {
        if (open.size() == openRows) {
          out.add(open.remove(0).toArray());
        }
        target = new Row();
        open.add(target);
      }
      target.add(s, len);
      if (target.used == seqLen) {
        open.remove(target);
        out.add(target.toArray());
      }
    }
    for (Row r : open) {
      out.add(r.toArray());
    }
    return out;
  }

  private static final class Row {
    int[] samples = new int[4];
    int count;
    int used;

    void add(int s, int len) {
      if (count == samples.length) {
        samples = java.util.Arrays.copyOf(samples, count * 2);
      }
      samples[count++] = s;
      used += len;
    }

    int[] toArray() {
      return java.util.Arrays.copyOf(samples, count);
    }
  }

}
