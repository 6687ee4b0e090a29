package dev.retort.filter.dedup;

import dev.retort.filter.text.Tokens;
import java.util.Arrays;

/**
 * A text's word shingles as a set of distinct hashes, with exact Jaccard similarity. The set is an
 * open-addressing table: building it and probing one set with the other's members costs a pass
 * over each, where a sorted array would cost a sort per text (near-duplicate candidates among one
 * prompt's traces are common when a teacher reuses its phrases, so verifying one must be cheap).
 */
public final class ShingleSet {
  private static final long[] NONE = new long[0];
  /** Slots hold members; 0 marks an empty slot, and the member 0 is kept in {@link #hasZero}. */
  private final long[] table;
  private final boolean hasZero;
  private final long[] members;

  private ShingleSet(long[] table, boolean hasZero, long[] members) {
    this.table = table;
    this.hasZero = hasZero;
    this.members = members;
  }

  public static ShingleSet of(String text, int shingle) {
    return ofTokens(Tokens.tokenHashes(text), shingle);
  }

  public static ShingleSet ofTokens(long[] tokens, int shingle) {
    return ofHashes(Tokens.ngramHashes(tokens, shingle));
  }

  /** The set of the given shingle hashes (any order, duplicates allowed; the array is not kept). */
  public static ShingleSet ofHashes(long[] shingleHashes) {
    if (shingleHashes.length == 0) {
      return new ShingleSet(NONE, false, NONE);
    }
    // A power of two at least 4/3 of the hashes: loaded up to 3/4, the probes stay short and the
    // table small (one is built per near-duplicate candidate).
    int cap = Integer.highestOneBit(shingleHashes.length + shingleHashes.length / 3) << 1; // > n, always a free slot
    long[] table = new long[cap];
    long[] members = new long[shingleHashes.length];
    int n = 0;
    boolean zero = false;
    for (long x : shingleHashes) {
      if (x == 0) {
        if (!zero) {
          zero = true;
          members[n++] = 0;
        }
        continue;
      }
      int i = slot(table, x);
      if (table[i] == 0) {
        table[i] = x;
        members[n++] = x;
      }
    }
    return new ShingleSet(table, zero, Arrays.copyOf(members, n));
  }

  /** The slot of {@code x}, or the empty slot where it would go (shingle hashes are mixed already). */
  private static int slot(long[] table, long x) {
    int mask = table.length - 1;
    int i = (int) (x ^ (x >>> 32)) & mask;
    while (table[i] != 0 && table[i] != x) {
      i = (i + 1) & mask;
    }
    return i;
  }

  private boolean contains(long x) {
    return x == 0 ? hasZero : table.length > 0 && table[slot(table, x)] == x;
  }

  /** The distinct hashes, in the order first given. */
  public long[] hashes() {
    return members.clone();
  }

  public int size() {
    return members.length;
  }

  /** |A and B| / |A or B|; 1 for two empty sets (two empty texts are the same text). */
  public double jaccard(ShingleSet other) {
    if (members.length == 0 && other.members.length == 0) {
      return 1;
    }
    ShingleSet small = members.length <= other.members.length ? this : other;
    ShingleSet big = small == this ? other : this;
    int inter = 0;
    for (long x : small.members) {
      if (big.contains(x)) {
        inter++;
      }
    }
    return (double) inter / (members.length + other.members.length - inter);
  }
}
