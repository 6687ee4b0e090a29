package dev.retort.filter.text;

/**
 * Language mixing as DeepSeek-R1 saw it: reasoning that drifts into another script (Chinese
 * phrases in an English chain of thought). Measured as the share of letters outside the expected
 * script, where the expected script is the dominant script of the problem text.
 *
 * <p>Common and inherited characters (digits, punctuation, combining marks) are not letters of any
 * script and are ignored. Greek is ignored too: alpha, pi and theta are math notation, not a
 * language switch.
 */
public final class ScriptMix {
  private static final Character.UnicodeScript[] SCRIPTS = Character.UnicodeScript.values();

  private ScriptMix() {}

  /** The script most letters of {@code text} belong to; LATIN when it has no letters. */
  public static Character.UnicodeScript dominantScript(String text) {
    if (text == null || text.isEmpty()) {
      return Character.UnicodeScript.LATIN;
    }
    int[] counts = null;
    int latin = 0;
    boolean other = false;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      if (cp < 0x80) {
        if (Character.isLetter(cp)) {
          latin++;
        }
        continue;
      }
      Character.UnicodeScript sc = scriptOfLetter(cp);
      if (sc != null) {
        if (counts == null) {
          counts = new int[SCRIPTS.length];
        }
        counts[sc.ordinal()]++;
        other = true;
      }
    }
    if (!other) {
      return Character.UnicodeScript.LATIN;
    }
    counts[Character.UnicodeScript.LATIN.ordinal()] += latin;
    int best = Character.UnicodeScript.LATIN.ordinal();
    for (int i = 0; i < counts.length; i++) {
      if (counts[i] > counts[best]) {
        best = i;
      }
    }
    return SCRIPTS[best];
  }

  /** Share of the counted letters of {@code text} that are not in {@code expected}; 0 for no letters. */
  public static double foreignShare(String text, Character.UnicodeScript expected) {
    if (text == null || text.isEmpty()) {
      return 0;
    }
    boolean latinForeign = expected != Character.UnicodeScript.LATIN;
    if (!latinForeign && Tokens.isAscii(text)) {
      return 0; // ASCII letters are all Latin: the common case needs one tight scan and no counting
    }
    long letters = 0;
    long foreign = 0;
    for (int i = 0, n = text.length(); i < n; i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        // ASCII fast path: the bulk of every English trace.
        if ((char) ((c | 0x20) - 'a') < 26) {
          letters++;
          if (latinForeign) {
            foreign++;
          }
        }
        continue;
      }
      int cp = Character.isHighSurrogate(c) && i + 1 < n ? text.codePointAt(i) : c;
      if (cp > 0xFFFF) {
        i++;
      }
      Character.UnicodeScript sc = scriptOfLetter(cp);
      if (sc != null) {
        letters++;
        if (sc != expected) {
          foreign++;
        }
      }
    }
    return letters == 0 ? 0 : (double) foreign / letters;
  }

  /** The script of a letter that counts for mixing, or null for non-letters and neutral scripts. */
  private static Character.UnicodeScript scriptOfLetter(int cp) {
    if (!Character.isLetter(cp)) {
      return null;
    }
    // The common blocks by range: UnicodeScript.of's search dominated the filter's profile on
    // mixed-language traces.
    if (cp >= 0x4E00 && cp <= 0x9FFF || cp >= 0x3040 && cp <= 0x30FF) {
      return Character.UnicodeScript.HAN;
    }
    if (cp <= 0x024F) {
      return cp == 0xAA || cp == 0xBA || cp >= 0xC0 ? Character.UnicodeScript.LATIN : null;
    }
    if (cp >= 0x0400 && cp <= 0x04FF) {
      return Character.UnicodeScript.CYRILLIC;
    }
    Character.UnicodeScript sc = Character.UnicodeScript.of(cp);
    return switch (sc) {
      case COMMON, INHERITED, UNKNOWN, GREEK -> null;
      // Japanese mixes these with Han in one text: one language, so one script for this purpose.
      case HIRAGANA, KATAKANA -> Character.UnicodeScript.HAN;
      default -> sc;
    };
  }
}
