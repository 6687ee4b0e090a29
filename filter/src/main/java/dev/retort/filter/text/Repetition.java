package dev.retort.filter.text;

import java.util.Arrays;

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
    Arrays.sort(grams);
    int distinct = 1;
    for (int i = 1; i < grams.length; i++) {
      if (grams[i] != grams[i - 1]) {
        distinct++;
      }
    }
    return 1.0 - (double) distinct / grams.length;
  }

  public static double repeatedShare(String text, int n) {
    return repeatedShare(Tokens.tokenHashes(text), n);
  }
}
