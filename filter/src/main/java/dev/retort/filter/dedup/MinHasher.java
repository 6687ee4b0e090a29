package dev.retort.filter.dedup;

import dev.retort.filter.text.Tokens;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * MinHash signatures of shingle sets, in two schemes with the same estimate (the share of equal
 * positions estimates Jaccard similarity) and different costs:
 * <ul>
 *   <li>{@link #classic}: {@code k} independent hash functions (multiply-add over the 64-bit
 *       shingle hash), {@code k} operations per shingle. Right for short texts such as prompts:
 *       every position depends on the whole set.
 *   <li>{@link #onePermutation}: one-permutation hashing (Li, Owen and Zhang 2012) with rotation
 *       densification (Shrivastava and Li 2014): one hash per shingle, each shingle lands in one of
 *       {@code k} bins, each bin keeps its minimum, an empty bin borrows from its next non-empty
 *       neighbour. {@code k} times cheaper, so it signs every trace; but a text with far fewer
 *       shingles than bins has few independent positions, and LSH bands then collide often (on a
 *       20-word prompt set that made candidate verification dominate), so not for short texts.
 * </ul>
 * Signatures of the two schemes are not comparable; one index uses one scheme.
 */
public final class MinHasher {
  private static final long SEED = 0x5DEECE66DL;
  private static final long EMPTY = Long.MAX_VALUE;
  private final int k;
  private final long[] mul;
  private final long[] add;

  private MinHasher(int numPerm, boolean classic) {
    if (numPerm < 1) {
      throw new IllegalArgumentException("minhash num-perm must be >= 1, got " + numPerm);
    }
    this.k = numPerm;
    if (classic) {
      SplittableRandom rnd = new SplittableRandom(SEED);
      mul = new long[k];
      add = new long[k];
      for (int i = 0; i < k; i++) {
        mul[i] = rnd.nextLong() | 1L;
        add[i] = rnd.nextLong();
      }
    } else {
      mul = null;
      add = null;
    }
  }

  public static MinHasher classic(int numPerm) {
    return new MinHasher(numPerm, true);
  }

  public static MinHasher onePermutation(int numPerm) {
    return new MinHasher(numPerm, false);
  }

  public int size() {
    return k;
  }

  /** The signature of a shingle set (any order, duplicates allowed); all positions equal when empty. */
  public long[] signature(long[] shingles) {
    long[] sig = new long[k];
    Arrays.fill(sig, EMPTY);
    if (mul != null) {
      for (long s : shingles) {
        for (int i = 0; i < k; i++) {
          long h = mul[i] * s + add[i];
          if (h < sig[i]) {
            sig[i] = h;
          }
        }
      }
      return sig;
    }
    for (long s : shingles) {
      long h = Tokens.mix(s ^ SEED);
      int bin = (int) (((h >>> 32) * k) >>> 32);
      long v = h & 0xffffffffL;
      if (v < sig[bin]) {
        sig[bin] = v;
      }
    }
    densify(sig);
    return sig;
  }

  private static void densify(long[] sig) {
    int k = sig.length;
    int start = -1;
    for (int i = k - 1; i >= 0; i--) {
      if (sig[i] != EMPTY) {
        start = i;
        break;
      }
    }
    if (start < 0) {
      return;
    }
    // Each empty bin takes its next non-empty neighbour around the ring (walking backwards keeps
    // that neighbour at hand); the offset per step keeps borrowed values from equalling the
    // neighbour's own.
    long val = sig[start];
    long dist = 0;
    for (int step = 1, i = start; step < k; step++) {
      i = i == 0 ? k - 1 : i - 1; // (start - step) mod k, without a division per bin
      if (sig[i] != EMPTY) {
        val = sig[i];
        dist = 0;
      } else {
        dist++;
        sig[i] = val + dist * 0x100000000L;
      }
    }
  }
}
