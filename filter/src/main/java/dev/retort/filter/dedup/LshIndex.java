package dev.retort.filter.dedup;

import dev.retort.filter.text.Tokens;
import java.util.Arrays;

/**
 * Locality-sensitive hashing over MinHash signatures: {@code b} bands of {@code r} rows; two items
 * become candidates when all rows of at least one band agree, which happens with probability
 * {@code 1 - (1 - s^r)^b} for Jaccard similarity {@code s}. Items are small ints (positions in
 * the caller's list). Buckets live in primitive arrays (open addressing, chained entries): the
 * prompt screen indexes every prompt of a run, and boxed maps cost more than the hashing.
 */
public final class LshIndex {
  private final int bands;
  private final int rows;
  // Open-addressing table: band key -> first entry; entries chain items of one bucket.
  private long[] keys = new long[64];
  private int[] heads = filled(64);
  private int used;
  private int[] entryItem = new int[64];
  private int[] entryNext = new int[64];
  private int entries;

  public LshIndex(int numPerm, int bands) {
    this(numPerm, bands, 0);
  }

  /**
   * @param expectedItems items the caller will add, when known: the tables start at their final
   *     size (growing a table of a few hundred thousand keys rehashed them all, out of cache)
   */
  public LshIndex(int numPerm, int bands, int expectedItems) {
    if (bands < 1 || numPerm % bands != 0) {
      throw new IllegalArgumentException("minhash bands must divide num-perm, got bands=" + bands + " num-perm=" + numPerm);
    }
    this.bands = bands;
    this.rows = numPerm / bands;
    if (expectedItems > 0) {
      long want = Math.min(1L << 30, 2L * expectedItems * bands);
      int cap = Integer.highestOneBit((int) Math.max(64, want - 1)) << 1;
      keys = new long[cap];
      heads = filled(cap);
      entryItem = new int[(int) Math.min(1 << 30, (long) expectedItems * bands)];
      entryNext = new int[entryItem.length];
    }
  }

  public void add(int item, long[] signature) {
    addKeys(item, bandKeys(signature));
  }

  /** One key per band: compute once, then query with {@link #candidatesOfKeys} and add with {@link #addKeys}. */
  public long[] bandKeys(long[] signature) {
    return bandKeys(signature, bands);
  }

  /** The band keys of a signature split into {@code bands} bands (which must divide its length). */
  public static long[] bandKeys(long[] signature, int bands) {
    int rows = signature.length / bands;
    long[] keys = new long[bands];
    for (int b = 0; b < bands; b++) {
      keys[b] = bandKey(signature, b, rows);
    }
    return keys;
  }

  public void addKeys(int item, long[] bandKeys) {
    for (int b = 0; b < bands; b++) {
      long key = bandKeys[b];
      int slot = slot(key);
      if (heads[slot] < 0) {
        keys[slot] = key;
        used++;
      }
      if (entries == entryItem.length) {
        entryItem = Arrays.copyOf(entryItem, entries * 2);
        entryNext = Arrays.copyOf(entryNext, entries * 2);
      }
      entryItem[entries] = item;
      entryNext[entries] = heads[slot];
      heads[slot] = entries++;
      if (used * 2 > keys.length) {
        grow();
      }
    }
  }

  /** Items sharing at least one band with {@code signature}, ascending, each once. */
  public int[] candidates(long[] signature) {
    return candidatesOfKeys(bandKeys(signature));
  }

  public int[] candidatesOfKeys(long[] bandKeys) {
    int[] out = new int[8];
    int n = 0;
    for (int b = 0; b < bands; b++) {
      for (int e = heads[slot(bandKeys[b])]; e >= 0; e = entryNext[e]) {
        if (n == out.length) {
          out = Arrays.copyOf(out, n * 2);
        }
        out[n++] = entryItem[e];
      }
    }
    if (n == 0) {
      return new int[0];
    }
    Arrays.sort(out, 0, n);
    int m = 1;
    for (int i = 1; i < n; i++) {
      if (out[i] != out[m - 1]) {
        out[m++] = out[i];
      }
    }
    return Arrays.copyOf(out, m);
  }

  /** The slot holding {@code key}, or the empty slot where it would go. */
  private int slot(long key) {
    int mask = keys.length - 1;
    int i = (int) key & mask; // band keys are mixed already
    while (heads[i] >= 0 && keys[i] != key) {
      i = (i + 1) & mask;
    }
    return i;
  }

  private void grow() {
    long[] oldKeys = keys;
    int[] oldHeads = heads;
    keys = new long[oldKeys.length * 2];
    heads = filled(oldKeys.length * 2);
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldHeads[i] >= 0) {
        int s = slot(oldKeys[i]);
        keys[s] = oldKeys[i];
        heads[s] = oldHeads[i];
      }
    }
  }

  /** A polynomial over the band's rows, mixed once: keys are equal exactly when the rows are (up to 64-bit collisions). */
  private static long bandKey(long[] sig, int band, int rows) {
    long h = band * 0x9E3779B97F4A7C15L;
    for (int i = band * rows; i < (band + 1) * rows; i++) {
      h = h * 0x100000001b3L + sig[i];
    }
    return Tokens.mix(h);
  }

  private static int[] filled(int n) {
    int[] a = new int[n];
    Arrays.fill(a, -1);
    return a;
  }

  /** Probability that a pair of Jaccard similarity {@code s} becomes a candidate. */
  public static double candidateProbability(double s, int numPerm, int bands) {
    int r = numPerm / bands;
    return 1 - Math.pow(1 - Math.pow(s, r), bands);
  }
}
