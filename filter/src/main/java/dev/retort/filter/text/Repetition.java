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
    return new Counter().repeatedShare(tokens, n);
  }

  public static double repeatedShare(String text, int n) {
    return repeatedShare(Tokens.tokenHashes(text), n);
  }

  /**
   * The count, reusable over many texts: the n-gram hashes go straight from the rolling hash into
   * one open-addressing table, kept and cleared between texts (no array of n-gram hashes and no
   * fresh table per trace). It counts the raw window hashes, which
   * {@link Tokens#ngramValue} maps one to one onto {@link Tokens#ngramHashes}, so the count is the
   * same. Not thread-safe: one per judge.
   */
  public static final class Counter {
    private long[] table = new long[64];

    public double repeatedShare(long[] tokens, int n) {
      if (tokens.length < 2 * n) {
        return 0;
      }
      int windows = tokens.length - n + 1;
      int cap = Integer.highestOneBit(Math.max(4, windows) * 2 - 1) << 1;
      if (table.length < cap) {
        table = new long[cap];
      } else {
        java.util.Arrays.fill(table, 0, cap, 0L);
      }
      long[] t = table;
      int mask = cap - 1;
      long pn1 = Tokens.rollPower(n - 1);
      long h = Tokens.windowStart(tokens, n);
      boolean zero = false;
      int distinct = 0;
      for (int i = 0; ; i++) {
        // The raw rolling hash, not Tokens.ngramValue of it: the mix is a bijection, so
        // the distinct count is the same, and the token hashes are mixed already, so the low
        // bits index the table well.
        long v = h;
        if (v == 0) {
          if (!zero) {
            zero = true;
            distinct++;
          }
        } else {
          int j = (int) (v ^ (v >>> 32)) & mask;
          long cur;
          while ((cur = t[j]) != 0 && cur != v) {
            j = (j + 1) & mask;
          }
          if (cur == 0) {
            t[j] = v;
            distinct++;
          }
        }
        if (i + 1 == windows) {
          break;
        }
        h = Tokens.roll(h, tokens[i], tokens[i + n], pn1);
      }
      return 1.0 - (double) distinct / windows;
    }
  }
}
