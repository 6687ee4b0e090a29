package dev.retort.filter.text;

/**
 * {@link Tokens#tokenHashes} of the last 16 texts, by identity: the quality filters tokenize each
 * reasoning of a prompt group, then trace dedup asks for the same strings again. Not thread-safe:
 * one per judge. (A ThreadLocal did this before, then a table indexed by identity hash; in Spark's
 * task threads the thread-local lookups, and then installing an identity hash in every string,
 * cost more than a linear scan of 16 references.) The returned arrays are shared: callers must not
 * modify them.
 */
public final class TokenCache {
  private static final int SIZE = 16;
  private final String[] texts = new String[SIZE];
  private final long[][] hashes = new long[SIZE][];
  private int next;

  public long[] tokenHashes(String text) {
    if (text == null) {
      return new long[0];
    }
    for (int i = 0; i < SIZE; i++) {
      if (texts[i] == text) {
        return hashes[i];
      }
    }
    long[] t = Tokens.tokenHashes(text);
    texts[next] = text;
    hashes[next] = t;
    next = (next + 1) & (SIZE - 1);
    return t;
  }
}
