package dev.retort.filter.dedup;

import dev.retort.filter.text.Tokens;
import java.util.Arrays;

/** A text's word shingles as a sorted array of distinct hashes, with exact Jaccard similarity. */
public record ShingleSet(long[] hashes) {
  public static ShingleSet of(String text, int shingle) {
    return ofTokens(Tokens.tokenHashes(text), shingle);
  }

  public static ShingleSet ofTokens(long[] tokens, int shingle) {
    return ofHashes(Tokens.ngramHashes(tokens, shingle));
  }

  /** The set of the given shingle hashes (any order, duplicates allowed; the array is not kept). */
  public static ShingleSet ofHashes(long[] shingleHashes) {
    long[] g = shingleHashes.clone();
    Arrays.sort(g);
    int n = 0;
    for (int i = 0; i < g.length; i++) {
      if (i == 0 || g[i] != g[i - 1]) {
        g[n++] = g[i];
      }
    }
    return new ShingleSet(Arrays.copyOf(g, n));
  }

  public int size() {
    return hashes.length;
  }

  /** |A and B| / |A or B|; 1 for two empty sets (two empty texts are the same text). */
  public double jaccard(ShingleSet other) {
    long[] a = hashes;
    long[] b = other.hashes;
    if (a.length == 0 && b.length == 0) {
      return 1;
    }
    int i = 0;
    int j = 0;
    int inter = 0;
    while (i < a.length && j < b.length) {
      if (a[i] == b[j]) {
        inter++;
        i++;
        j++;
      } else if (a[i] < b[j]) {
        i++;
      } else {
        j++;
      }
    }
    return (double) inter / (a.length + b.length - inter);
  }
}
