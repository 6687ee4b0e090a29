package dev.retort.filter.dedup;

import dev.retort.filter.text.Tokens;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * MinHash signatures of shingle sets, in two schemes with the same estimate (the share of equal
 * positions estimates Jaccard similarity) and different costs:
 * <ul>
 *   <li>{@link #classic}: {@code k} independent hash functions (multilinear over the two halves of the 64-bit
 *       shingle hash), {@code k} operations per shingle. Right for short texts such as prompts:
 *       every position depends on the whole set.
 *   <li>{@link #onePermutation}: one-permutation hashing (Li, Owen and Zhang 2012) with rotation
 *       densification (Shrivastava and Li 2014): one hash per shingle, each shingle lands in one of
 *       {@code k} bins, each bin keeps its minimum, an empty bin borrows from its next non-empty
 *       neighbour. {@code k} times cheaper, so it signs every trace; but a text with far fewer
 *       shingles than bins has few independent positions, and LSH bands then collide often (on a
 *       20-word prompt set that made candidate verification dominate), so not for short texts.
 * </ul>
 * Signatures of the two schemes are not comparable; one index uses one scheme. Shingle hashes
 * must be well mixed ({@link Tokens#ngramHashes} are): one-permutation hashing takes their bits
 * as they are, the bin from the high half and the value from the low half.
 */
public final class MinHasher {
  private static final long SEED = 0x5DEECE66DL;
  private static final long EMPTY = Long.MAX_VALUE;
  private final int k;
  /** Classic scheme: per position, a multilinear hash of the shingle's two 32-bit halves. */
  private final int[] mulLo;
  private final int[] mulHi;
  private final int[] add;

  private MinHasher(int numPerm, boolean classic) {
    if (numPerm < 1) {
      throw new IllegalArgumentException("minhash num-perm must be >= 1, got " + numPerm);
    }
    this.k = numPerm;
    if (classic) {
      SplittableRandom rnd = new SplittableRandom(SEED);
      mulLo = new int[k];
      mulHi = new int[k];
      add = new int[k];
      for (int i = 0; i < k; i++) {
        mulLo[i] = rnd.nextInt() | 1;
        mulHi[i] = rnd.nextInt() | 1;
        add[i] = rnd.nextInt();
      }
    } else {
      mulLo = null;
      mulHi = null;
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
    if (mulLo != null) {
      if (shingles.length == 0) {
        return sig;
      }
      // 32-bit lanes, so the inner loop over positions compiles to vector instructions (64-bit
      // multiplies have none before AVX-512): this is the prompt screen's inner loop. Values are
      // 31-bit and the minimum is taken by arithmetic (d & d >> 31 cannot overflow on them),
      // because C2 in Java 17 does not vectorize Math.min. The shingle hashes are mixed 64-bit values, so each position's multilinear
      // hash of their halves orders them as a random permutation would, which is all MinHash needs.
      int[] m = new int[k];
      Arrays.fill(m, Integer.MAX_VALUE);
      int[] ml = mulLo;
      int[] mh = mulHi;
      int[] ad = add;
      for (long s : shingles) {
        int lo = (int) s;
        int hi = (int) (s >>> 32);
        for (int i = 0; i < k; i++) {
          int v = (ml[i] * lo + mh[i] * hi + ad[i]) >>> 1;
          int d = v - m[i];
          m[i] += d & (d >> 31);
        }
      }
      for (int i = 0; i < k; i++) {
        sig[i] = m[i];
      }
      return sig;
    }
    for (long s : shingles) {
      long h = s ^ SEED; // shingle hashes are mixed already (Tokens' n-gram hashes are)
      int bin = (int) (((h >>> 32) * k) >>> 32);
      // A conditional move: whether a bin's minimum changes is random, and the branch mispredicted.
      sig[bin] = Math.min(sig[bin], h & 0xffffffffL);
    }
    densify(sig);
    return sig;
  }

  /**
   * {@code signature(Tokens.ngramHashes(tokens, n))}, equal to it, without the array of n-gram
   * hashes: one-permutation hashing takes each window's hash as the rolling hash gives it.
   */
  public long[] signatureOfNgrams(long[] tokens, int n) {
    if (mulLo != null || tokens.length < n) {
      return signature(Tokens.ngramHashes(tokens, n));
    }
    long[] sig = new long[k];
    Arrays.fill(sig, EMPTY);
    long pn1 = Tokens.rollPower(n - 1);
    long h = Tokens.windowStart(tokens, n);
    int windows = tokens.length - n + 1;
    for (int i = 0; ; i++) {
      long g = Tokens.ngramValue(h, n) ^ SEED; // as signature() takes each n-gram hash
      int bin = (int) (((g >>> 32) * k) >>> 32);
      sig[bin] = Math.min(sig[bin], g & 0xffffffffL);
      if (i + 1 == windows) {
        break;
      }
      h = Tokens.roll(h, tokens[i], tokens[i + n], pn1);
    }
    densify(sig);
    return sig;
  }

  /**
   * Each empty bin takes the value of its next non-empty bin around the ring, plus an offset per
   * step so borrowed values do not equal the neighbour's own. The filled bins are found first as
   * a bitmask (no branch per bin), then only the empty ones are visited: walking every bin with a
   * test per bin mispredicted at each run of empty bins.
   */
  static void densify(long[] sig) {
    int k = sig.length;
    int words = (k + 63) >>> 6;
    long[] filled = new long[words];
    int count = 0;
    for (int w = 0; w < words; w++) {
      int base = w << 6;
      int end = Math.min(64, k - base);
      long bits = 0;
      for (int b = 0; b < end; b++) {
        bits |= ((sig[base + b] - EMPTY) >>> 63) << b; // 1 when filled: every value is below EMPTY
      }
      filled[w] = bits;
      count += Long.bitCount(bits);
    }
    if (count == 0 || count == k) {
      return;
    }
    for (int w = 0; w < words; w++) {
      int base = w << 6;
      int end = Math.min(64, k - base);
      long empty = ~filled[w] & (end == 64 ? -1L : (1L << end) - 1);
      while (empty != 0) {
        int i = base + Long.numberOfTrailingZeros(empty);
        empty &= empty - 1;
        int j = nextFilled(filled, i, k);
        sig[i] = sig[j] + (long) (j > i ? j - i : j + k - i) * 0x100000000L;
      }
    }
  }

  /** The first filled bin after {@code i} around the ring (one exists). */
  private static int nextFilled(long[] filled, int i, int k) {
    int from = i + 1 == k ? 0 : i + 1;
    int w = from >>> 6;
    long word = filled[w] & (-1L << (from & 63));
    while (word == 0) {
      w = w + 1 == filled.length ? 0 : w + 1;
      word = filled[w];
    }
    return (w << 6) + Long.numberOfTrailingZeros(word);
  }
}
