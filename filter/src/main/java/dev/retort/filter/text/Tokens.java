package dev.retort.filter.text;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Normalized word tokens and 64-bit hashes of tokens and token windows: the one tokenization that
 * decontamination, dedup and the repetition filter share, so "the same text" means the same thing
 * everywhere.
 *
 * <p>Design choices: NFKC plus lower case, so full-width digits and ligatures match their plain
 * forms; a token is a maximal run of letters or digits (LaTeX {@code \frac{1}{2}} gives
 * {@code frac 1 2}, so markup and spacing never hide an overlap); a Han, Hiragana or Katakana
 * character is a token of its own, because those scripts do not separate words by spaces.
 * Tokens are hashed, never kept as strings: the filter hashes every trace, and strings would cost
 * an allocation per word.
 */
public final class Tokens {
  /** The rolling hash's base (odd, so the polynomial is invertible mod 2^64). */
  private static final long ROLL = 0x9E3779B97F4A7C15L | 1;

  private Tokens() {}

  /** The normalized tokens of {@code text}, as strings (for tests and for small texts). */
  public static List<String> words(String text) {
    List<String> out = new ArrayList<>();
    if (text == null || text.isEmpty()) {
      return out;
    }
    String s = normalizeWhole(text);
    int i = 0;
    int n = s.length();
    while (i < n) {
      int cp = s.codePointAt(i);
      int len = Character.charCount(cp);
      if (isSingleCharWord(cp)) {
        out.add(s.substring(i, i + len));
        i += len;
      } else if (Character.isLetterOrDigit(cp)) {
        int j = i + len;
        while (j < n) {
          int c2 = s.codePointAt(j);
          if (!Character.isLetterOrDigit(c2) || isSingleCharWord(c2)) {
            break;
          }
          j += Character.charCount(c2);
        }
        out.add(s.substring(i, j));
        i = j;
      } else {
        i += len;
      }
    }
    return out;
  }

  /** The tokens joined by single spaces: the normalized text that exact dedup hashes. */
  public static String normalizedText(String text) {
    return String.join(" ", words(text));
  }

  /** Whether every character is ASCII (then it is Latin script, and NFKC and case folding are trivial). */
  public static boolean isAscii(String text) {
    // As many UTF-8 bytes as characters exactly when all are ASCII; String checks that with vector
    // instructions, which beats a charAt loop even with the copy.
    return text.length() < 16 ? asciiLoop(text) : text.getBytes(StandardCharsets.UTF_8).length == text.length();
  }

  private static boolean asciiLoop(String text) {
    for (int i = 0, n = text.length(); i < n; i++) {
      if (text.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  /** ASCII letters and digits lower-cased, everything else 0: one table load per character. */
  private static final byte[] ASCII_WORD = new byte[128];

  static {
    for (int c = 0; c < 128; c++) {
      if (c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
        ASCII_WORD[c] = (byte) c;
      } else if (c >= 'A' && c <= 'Z') {
        ASCII_WORD[c] = (byte) (c | 0x20);
      }
    }
  }

  /**
   * One 64-bit hash per normalized token, in order; equal to hashing each of {@link #words}. A
   * token's hash is over its UTF-8 bytes, eight at a time: each group of eight (little-endian) is
   * folded in with one multiply, the rest and the length with a last one, then mixed. (FNV's
   * multiply per byte put a 4-cycle dependency on every character.)
   */
  public static long[] tokenHashes(String text) {
    if (text == null || text.isEmpty()) {
      return new long[0];
    }
    // ASCII fast path (most traces): the UTF-8 bytes are as many as the characters exactly when
    // all are ASCII, and String.getBytes checks and copies that case with vector instructions.
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    Sink out = SINK.get();
    out.count = 0;
    if (b.length == text.length()) {
      ascii(b, 0, b.length, out);
    } else {
      mixed(b, out);
    }
    return out.toArray();
  }

  /**
   * Each thread's buffer for the hashes of the text being tokenized, copied out at its exact
   * length: one allocation per text instead of a guessed array and the copy.
   */
  private static final ThreadLocal<Sink> SINK = ThreadLocal.withInitial(Sink::new);

  /** Token hashes as they are made: a growing array. */
  private static final class Sink {
    long[] hashes = new long[256];
    int count;

    void add(long h) {
      if (count == hashes.length) {
        hashes = Arrays.copyOf(hashes, hashes.length * 2);
      }
      hashes[count++] = h;
    }

    long[] toArray() {
      return Arrays.copyOf(hashes, count);
    }
  }

  /** The tokens of {@code b[from, to)}, all ASCII: one table load per byte. */
  private static void ascii(byte[] b, int from, int to, Sink out) {
    long h = HASH_SEED;
    long w = 0;
    int len = 0;
    for (int i = from; i < to; i++) {
      int c = ASCII_WORD[b[i] & 0x7f];
      if (c != 0) {
        w |= (long) c << (8 * (len & 7));
        if ((++len & 7) == 0) {
          h = (h ^ w) * WORD_PRIME;
          w = 0;
        }
      } else if (len > 0) {
        out.add(finish(h, w, len));
        h = HASH_SEED;
        w = 0;
        len = 0;
      }
    }
    if (len > 0) {
      out.add(finish(h, w, len));
    }
  }

  /**
   * A text with non-ASCII characters, as UTF-8: most such traces are ASCII with an em dash, curly
   * quotes or one sentence in another script. The ASCII stretches take the table path; only each
   * run of non-whitespace that holds a non-ASCII byte is decoded, normalized and walked by code
   * point (that walk costs ten times the table's per character). ASCII whitespace bounds every
   * context NFKC and lower-casing look at (composition with marks, the final sigma), and it
   * separates tokens, so the pieces give the hashes of the whole text; a test checks they agree.
   */
  private static void mixed(byte[] b, Sink out) {
    int n = b.length;
    int i = 0;
    while (i < n) {
      int j = i;
      while (j < n && b[j] >= 0) {
        j++;
      }
      if (j == n) {
        ascii(b, i, n, out);
        return;
      }
      int start = j;
      while (start > i && !space(b[start - 1])) {
        start--;
      }
      ascii(b, i, start, out);
      int end = j + 1;
      while (end < n && !space(b[end])) {
        end++;
      }
      for (long h : tokenHashesUnicode(normalize(new String(b, start, end - start, StandardCharsets.UTF_8)))) {
        out.add(h);
      }
      i = end;
    }
  }

  /** ASCII space or control: never part of a token, unchanged by NFKC and lower-casing, and no context for either. */
  private static boolean space(byte c) {
    return c >= 0 && c <= ' ';
  }

  private static final long HASH_SEED = 0xcbf29ce484222325L;
  private static final long WORD_PRIME = 0x100000001b3L * 0x9E3779B97F4A7C15L | 1;

  /** The token hash from the state after its last byte: the partial word and the length go in, then one mix. */
  private static long finish(long h, long w, int len) {
    return mix((h ^ w) * WORD_PRIME ^ len);
  }

  /** The same hash for tokens of any script: the code points' UTF-8 bytes through the same steps. */
  private static long[] tokenHashesUnicode(String s) {
    long[] out = new long[Math.max(8, s.length() / 5)];
    int count = 0;
    int i = 0;
    int n = s.length();
    long[] state = new long[3]; // h, w, len
    while (i < n) {
      int cp = s.codePointAt(i);
      int len = Character.charCount(cp);
      state[0] = HASH_SEED;
      state[1] = 0;
      state[2] = 0;
      if (isSingleCharWord(cp)) {
        feedUtf8(state, cp);
        i += len;
      } else if (Character.isLetterOrDigit(cp)) {
        feedUtf8(state, cp);
        int j = i + len;
        while (j < n) {
          int c2 = s.codePointAt(j);
          if (!Character.isLetterOrDigit(c2) || isSingleCharWord(c2)) {
            break;
          }
          feedUtf8(state, c2);
          j += Character.charCount(c2);
        }
        i = j;
      } else {
        i += len;
        continue;
      }
      if (count == out.length) {
        out = Arrays.copyOf(out, out.length * 2);
      }
      out[count++] = finish(state[0], state[1], (int) state[2]);
    }
    return Arrays.copyOf(out, count);
  }

  private static void feedUtf8(long[] state, int cp) {
    if (cp < 0x80) {
      feed(state, cp);
    } else if (cp < 0x800) {
      feed(state, 0xC0 | cp >> 6);
      feed(state, 0x80 | cp & 0x3F);
    } else if (cp < 0x10000) {
      feed(state, 0xE0 | cp >> 12);
      feed(state, 0x80 | cp >> 6 & 0x3F);
      feed(state, 0x80 | cp & 0x3F);
    } else {
      feed(state, 0xF0 | cp >> 18);
      feed(state, 0x80 | cp >> 12 & 0x3F);
      feed(state, 0x80 | cp >> 6 & 0x3F);
      feed(state, 0x80 | cp & 0x3F);
    }
  }

  /** One UTF-8 byte into a token's state: bytes fill a little-endian word, a full word is folded into the hash. */
  private static void feed(long[] state, int b) {
    state[1] |= (long) b << (8 * (state[2] & 7));
    if ((++state[2] & 7) == 0) {
      state[0] = (state[0] ^ state[1]) * WORD_PRIME;
      state[1] = 0;
    }
  }

  /**
   * Hashes of every window of {@code n} consecutive tokens (word n-grams / shingles). A text with
   * fewer than {@code n} tokens yields one hash over all its tokens, so short texts still compare.
   * An empty text yields none.
   */
  public static long[] ngramHashes(long[] tokens, int n) {
    if (tokens.length == 0) {
      return new long[0];
    }
    if (tokens.length < n) {
      return new long[] {windowHash(tokens, 0, tokens.length)};
    }
    // Polynomial rolling hash: O(1) per window instead of O(n); token hashes are already mixed,
    // so the polynomial only has to keep order, and a final mix spreads the bits.
    long pn1 = rollPower(n - 1);
    long[] out = new long[tokens.length - n + 1];
    long h = windowStart(tokens, n);
    out[0] = ngramValue(h, n);
    for (int i = 1; i < out.length; i++) {
      h = roll(h, tokens[i - 1], tokens[i + n - 1], pn1);
      out[i] = ngramValue(h, n);
    }
    return out;
  }

  /*
   * The rolling window, for code that walks the n-grams of a text without their array (the
   * repetition count, MinHash signatures): windowStart gives the raw hash of the first window,
   * roll moves it one token on, ngramValue is the value ngramHashes reports for it.
   */

  /** The raw rolling hash of the window {@code tokens[0, n)}. */
  public static long windowStart(long[] tokens, int n) {
    long h = 0;
    for (int i = 0; i < n; i++) {
      h = h * ROLL + tokens[i];
    }
    return h;
  }

  /** The raw hash of the next window: {@code leaving} drops out, {@code entering} comes in; {@code pn1 = rollPower(n - 1)}. */
  public static long roll(long h, long leaving, long entering, long pn1) {
    return (h - leaving * pn1) * ROLL + entering;
  }

  /** The n-gram hash {@link #ngramHashes} reports for a window's raw hash. */
  public static long ngramValue(long h, int n) {
    return mix(h ^ n);
  }

  /** {@code ROLL^e}: the weight of the token leaving a window of {@code e + 1}. */
  public static long rollPower(int e) {
    long p = 1;
    for (int i = 0; i < e; i++) {
      p *= ROLL;
    }
    return p;
  }

  /** A hash of the whole token sequence: equal for texts that differ only in case, spacing or punctuation. */
  public static long textHash(String text) {
    long[] t = tokenHashes(text);
    return windowHash(t, 0, t.length);
  }

  /** A hash of {@code n} tokens from {@code from}: a polynomial over the (already mixed) token hashes, mixed once. */
  public static long windowHash(long[] tokens, int from, int n) {
    long h = 0;
    for (int i = from; i < from + n; i++) {
      h = h * ROLL + tokens[i];
    }
    return mix(h ^ ((long) n << 32) ^ 0x5bd1e995L);
  }

  /** MurmurHash3's 64-bit finalizer: spreads every input bit over the whole output. */
  public static long mix(long z) {
    z ^= z >>> 33;
    z *= 0xff51afd7ed558ccdL;
    z ^= z >>> 33;
    z *= 0xc4ceb9fe1a85ec53L;
    z ^= z >>> 33;
    return z;
  }

  /**
   * NFKC plus lower case. NFKC runs only over the span from the first to the last character that
   * {@link #needsNfkc} flags, widened to the characters around it that could compose with it (the
   * code point before, with any combining marks, and the marks and one code point after): the
   * rest is stable under NFKC already, so one CJK full stop at the end of a long trace does not
   * make the whole trace go through the normalizer.
   * {@link #words} normalizes the whole text, and tests check the two agree.
   */
  private static String normalize(String text) {
    int first = nfkcFrom(text, 0);
    String s = text;
    if (first >= 0) {
      int last = first;
      for (int i = first; i >= 0; i = nfkcFrom(text, i + Character.charCount(text.codePointAt(i)))) {
        last = i;
      }
      int a = first;
      while (a > 0) {
        a = text.offsetByCodePoints(a, -1);
        if (!isMark(text.codePointAt(a))) {
          break;
        }
      }
      int n = text.length();
      int b = last + Character.charCount(text.codePointAt(last));
      while (b < n && isMark(text.codePointAt(b))) {
        b += Character.charCount(text.codePointAt(b));
      }
      if (b < n) {
        b += Character.charCount(text.codePointAt(b));
      }
      String mid = Normalizer.normalize(text.substring(a, b), Normalizer.Form.NFKC);
      s = a == 0 && b == n ? mid : text.substring(0, a) + mid + text.substring(b);
    }
    return s.toLowerCase(java.util.Locale.ROOT);
  }

  private static String normalizeWhole(String text) {
    String s = needsNfkc(text) ? Normalizer.normalize(text, Normalizer.Form.NFKC) : text;
    return s.toLowerCase(java.util.Locale.ROOT);
  }

  private static boolean isMark(int cp) {
    int t = Character.getType(cp);
    return t == Character.NON_SPACING_MARK || t == Character.COMBINING_SPACING_MARK || t == Character.ENCLOSING_MARK;
  }

  /**
   * Whether NFKC could change a token of this text: compatibility characters (full-width forms,
   * ligatures, superscripts, letterlike and CJK compatibility symbols), combining marks and
   * supplementary characters (math alphanumerics), and any other character NFKC changes alone.
   * Everything else (ASCII, most precomposed Latin, Cyrillic, CJK ideographs, kana) is already
   * stable. Checked per character in a table built once, which is cheaper than
   * {@link Normalizer#isNormalized} over whole texts.
   */
  static boolean needsNfkc(String text) {
    return nfkcFrom(text, 0) >= 0;
  }

  /**
   * BMP characters NFKC could change alone or with a neighbour: the ranges above, combining marks,
   * and any character that is not NFKC-normalized on its own (such as the Latin ligatures {@code Ǆ}
   * and {@code ĳ}). Built once per JVM (a few tens of milliseconds).
   */
  private static final java.util.BitSet NFKC_UNSTABLE = new java.util.BitSet(0x10000);

  static {
    for (int c = 0xA0; c < 0x10000; c++) {
      char ch = (char) c;
      if (c <= 0xBF || c >= 0x0300 && c <= 0x036F || c >= 0x2000 && c <= 0x2BFF || c >= 0x3000 && c <= 0x33FF
          || c >= 0xF900 || Character.isSurrogate(ch) || c >= 0x1100 && c <= 0x11FF || isMark(c)
          || !Normalizer.isNormalized(String.valueOf(ch), Normalizer.Form.NFKC)) {
        NFKC_UNSTABLE.set(c);
      }
    }
  }

  /** The index of the first character at or after {@code from} that NFKC could change, or -1. */
  private static int nfkcFrom(String text, int from) {
    for (int i = from, n = text.length(); i < n; i++) {
      char c = text.charAt(i);
      if (c < 0xA0) {
        continue;
      }
      if (NFKC_UNSTABLE.get(c)) {
        // The start of a surrogate pair (never before from: a pair that from splits was seen already).
        return Character.isLowSurrogate(c) && i > from && Character.isHighSurrogate(text.charAt(i - 1)) ? i - 1 : i;
      }
    }
    return -1;
  }

  static boolean isSingleCharWord(int cp) {
    if (cp < 0x2E80) {
      return false;
    }
    Character.UnicodeScript sc = Character.UnicodeScript.of(cp);
    return sc == Character.UnicodeScript.HAN || sc == Character.UnicodeScript.HIRAGANA
        || sc == Character.UnicodeScript.KATAKANA;
  }
}
