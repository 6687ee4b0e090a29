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

  /**
   * {@link #repeatedShare(long[], int)} for many texts in a row, without its allocations: the
   * n-gram hashes go straight from the rolling hash into one open-addressing table, which is kept
   * and cleared between texts (the array of n-gram hashes and a fresh table per trace were most of
   * the check's cost). The n-gram hashes of {@link Tokens#ngramHashes} before their final mix, so the same count. Not
   * thread-safe: one per judge.
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
      long h = 0;
      for (int i = 0; i < n; i++) {
        h = h * Tokens.ROLL + tokens[i];
      }
      boolean zero = false;
      int distinct = 0;
      for (int i = 0; ; i++) {
        // The raw rolling hash, not Tokens.ngramHashes' mix of it: the mix is a bijection, so
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
        h = (h - tokens[i] * pn1) * Tokens.ROLL + tokens[i + n];
      }
      return 1.0 - (double) distinct / windows;
    }
  }
}
