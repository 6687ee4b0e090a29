package dev.retort.filter.text;

/**
 * {@link Tokens#tokenHashes} of the last 16 texts, by identity: the quality filters and trace dedup
 * tokenize the same reasoning strings of one prompt group. Not thread-safe: one per judge. (A
 * ThreadLocal did this before; in Spark's task threads, whose thread-local tables are crowded,
 * its lookups cost a tenth of the judge's time.) The returned arrays are shared: callers must not
 * modify them.
 */
public final class TokenCache {
  private final Object[] recent = new Object[2 * 16];

  public long[] tokenHashes(String text) {
    if (text == null) {
      return new long[0];
    }
    int slot = (System.identityHashCode(text) & 15) * 2;
    if (recent[slot] == text) {
      return (long[]) recent[slot + 1];
    }
    long[] t = Tokens.tokenHashes(text);
    recent[slot] = text;
    recent[slot + 1] = t;
    return t;
  }
}
