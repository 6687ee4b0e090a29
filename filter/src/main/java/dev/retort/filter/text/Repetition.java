package dev.retort.filter.text;

/**
 * Degenerate repetition, the "endless loop" that R1-style models fall into: the share of word
 * n-gram occurrences that repeat an earlier one. Fluent reasoning repeats a few phrases ("let me
 * check"), a loop repeats almost everything, so one threshold separates them well.
 */
public final class Repetition {
  private Repetition() {}

  /**
   * 1 - distinct/total over the word n-grams of the text; 0 when the text has fewer than
   * {@code 2 * n} tokens (too short to loop, and too short for the share to mean anything).
   */
  public static double repeatedShare(long[] tokens, int n) {
    if (tokens.length < 2 * n) {
      return 0;
    }
    long[] grams = Tokens.ngramHashes(tokens, n);
    int distinct = distinct(grams);
    return 1.0 - (double) distinct / grams.length;
  }

  /** Distinct values, by open addressing (cheaper than sorting the few hundred n-grams of a trace). */
  static int distinct(long[] values) {
    int cap = Integer.highestOneBit(Math.max(4, values.length) * 2 - 1) << 1;
    long[] table = new long[cap];
    boolean zero = false;
    int mask = cap - 1;
    int distinct = 0;
    for (long v : values) {
      if (v == 0) {
        if (!zero) {
          zero = true;
          distinct++;
        }
        continue;
      }
      int i = (int) (v ^ (v >>> 32)) & mask;
      while (table[i] != 0 && table[i] != v) {
        i = (i + 1) & mask;
      }
      if (table[i] == 0) {
        table[i] = v;
        distinct++;
      }
    }
    return distinct;
  }

  public static double repeatedShare(String text, int n) {
    return repeatedShare(Tokens.tokenHashes(text), n);
  }
}
