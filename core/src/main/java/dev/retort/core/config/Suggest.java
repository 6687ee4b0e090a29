package dev.retort.core.config;

import java.util.Collection;
import java.util.Locale;

/** "Did you mean" for a misspelt key or section: the closest known name by edit distance, if close enough. */
public final class Suggest {
  private Suggest() {}

  /**
   * The known name closest to {@code typed}, or null when none is within a third of its length
   * (at least 2 edits: {@code fliter} -> {@code filter} is a swap, two edits).
   */
  public static String closest(String typed, Collection<String> known) {
    String t = typed.toLowerCase(Locale.ROOT);
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String k : known) {
      int d = distance(t, k.toLowerCase(Locale.ROOT));
      if (d < bestDistance) {
        bestDistance = d;
        best = k;
      }
    }
    return best != null && bestDistance <= Math.max(2, t.length() / 3) ? best : null;
  }

  /** ", did you mean 'x'?" or the empty string. */
  public static String hint(String typed, Collection<String> known) {
    String c = closest(typed, known);
    return c == null ? "" : "; did you mean '" + c + "'?";
  }

  /** Levenshtein distance (insertions, deletions, substitutions). */
  static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
      }
      int[] x = prev;
      prev = cur;
      cur = x;
    }
    return prev[b.length()];
  }
}
