package dev.retort.filter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.filter.text.Repetition;
import dev.retort.filter.text.ScriptMix;
import dev.retort.filter.text.Tokens;
import java.util.List;
import org.junit.jupiter.api.Test;

class TextTest {
  @Test
  void tokensIgnoreCaseSpacingPunctuationAndMarkup() {
    assertEquals(List.of("what", "is", "frac", "1", "2", "of", "x2"), Tokens.words("What is $\\frac{1}{2}$ of  X2?"));
    assertEquals(Tokens.textHash("Find  the SUM, please."), Tokens.textHash("find the sum please"));
    assertNotEquals(Tokens.textHash("find the sum"), Tokens.textHash("find the sums"));
    // Full-width digits normalize (NFKC) to ASCII ones.
    assertEquals(Tokens.textHash("x = 12"), Tokens.textHash("x = \uFF11\uFF12"));
  }

  @Test
  void hashesAgreeWithWordsOnAsciiAndUnicodePaths() {
    for (String s : List.of("Hello, World 42!", "Ünïcödé wörds and 数学题 mixed", "a")) {
      List<String> words = Tokens.words(s);
      long[] hashes = Tokens.tokenHashes(s);
      assertEquals(words.size(), hashes.length, s);
      for (int i = 0; i < words.size(); i++) {
        assertArrayEquals(Tokens.tokenHashes(words.get(i)), new long[] {hashes[i]}, words.get(i));
      }
    }
    // CJK characters are one token each (no spaces between words).
    assertEquals(List.of("数", "学", "题"), Tokens.words("数学题"));
  }

  @Test
  void partialNormalizationAgreesWithNormalizingTheWholeText() {
    // tokenHashes normalizes only the span that NFKC could change; words() normalizes everything.
    String[] pieces = {"Let me check ", "x2 ", "ｘ１２", "ﬁnal ", "e\u0301t\u00e9 ", "数学题。", "Ａ", "\uD835\uDC00bc ", "각",
        "\u1100\u1161\u11A8", "Σίσυφος ", "½ ", "ℌ", "  ", "\u0301", "done.", "①②", "ﾊﾝｶｸ", "Ǆ", "x\u20DD",
        // Lower-casing by context (final sigma, across case-ignorable '.' and '), the dotted capital
        // I, and the punctuation most English traces carry.
        "ΟΔΟΣ.Α ", "ΟΔΟΣ's ", "ΟΔΟΣ ", "İstanbul ", "wait\u2014no ", "\u201Cquoted\u201D ", "it\u2019s ", "\t\n"};
    java.util.Random rnd = new java.util.Random(7);
    for (int n = 0; n < 2000; n++) {
      StringBuilder b = new StringBuilder("The reasoning goes on for a while before anything special happens. ");
      for (int k = rnd.nextInt(6); k >= 0; k--) {
        b.append(pieces[rnd.nextInt(pieces.length)].translateEscapes());
        if (rnd.nextBoolean()) {
          b.append("and then some more plain words ");
        }
      }
      String s = b.toString();
      List<String> words = Tokens.words(s);
      long[] expected = new long[words.size()];
      for (int i = 0; i < expected.length; i++) {
        long[] one = Tokens.tokenHashes(words.get(i));
        assertEquals(1, one.length, words.get(i));
        expected[i] = one[0];
      }
      assertArrayEquals(expected, Tokens.tokenHashes(s), s);
    }
  }

  @Test
  void ngramsOfShortTextsAreTheWholeText() {
    long[] t = Tokens.tokenHashes("one two three");
    assertEquals(1, Tokens.ngramHashes(t, 5).length);
    assertEquals(3 - 2 + 1, Tokens.ngramHashes(t, 2).length);
    assertEquals(0, Tokens.ngramHashes(new long[0], 3).length);
  }

  @Test
  void scriptMixCountsLettersOutsideTheProblemsScript() {
    String english = "We add the numbers and then we check the result carefully";
    assertEquals(Character.UnicodeScript.LATIN, ScriptMix.dominantScript(english));
    assertEquals(0.0, ScriptMix.foreignShare(english, Character.UnicodeScript.LATIN));
    String mixed = english + " 所以答案是";
    int latinLetters = (int) english.chars().filter(Character::isLetter).count();
    assertEquals(5.0 / (latinLetters + 5), ScriptMix.foreignShare(mixed, Character.UnicodeScript.LATIN), 1e-12);
    // Greek letters are math notation, not a language switch; digits and symbols are no letters.
    assertEquals(0.0, ScriptMix.foreignShare("the angle θ is π/2 = 1.57", Character.UnicodeScript.LATIN));
    // A Chinese problem expects Chinese reasoning.
    assertEquals(Character.UnicodeScript.HAN, ScriptMix.dominantScript("计算 1 + 2 的值"));
    assertEquals(0.0, ScriptMix.foreignShare("先算一加二等于三", Character.UnicodeScript.HAN));
  }

  @Test
  void repetitionSeparatesLoopsFromProse() {
    String prose = "First we compute the sum of the two numbers which gives seven then we multiply by three "
        + "and obtain twenty one so the final answer is twenty one after checking every step once more";
    assertEquals(0.0, Repetition.repeatedShare(prose, 4));
    String phrase = "wait let me check this again ";
    String loop = phrase.repeat(20);
    // 6 distinct 4-grams recur: (tokens - 4 + 1) windows, 6 distinct.
    int tokens = 6 * 20;
    double expected = 1.0 - 6.0 / (tokens - 4 + 1);
    assertEquals(expected, Repetition.repeatedShare(loop, 4), 1e-12);
    assertTrue(Repetition.repeatedShare(prose + " " + loop, 4) > 0.5);
    assertEquals(0.0, Repetition.repeatedShare("too short to judge", 4));
  }

  @Test
  void reusedRepetitionCounterAgreesWithThePlainCheck() {
    // One counter over texts of growing and shrinking length: a table left dirty by a longer text,
    // or sized for a shorter one, would change the count.
    Repetition.Counter counter = new Repetition.Counter();
    java.util.Random rnd = new java.util.Random(7);
    String[] words = {"we", "add", "three", "wait", "check", "so", "x", "equals", "seven", "then"};
    for (int text = 0; text < 300; text++) {
      int len = rnd.nextInt(text % 3 == 0 ? 2000 : 60);
      long[] tokens = new long[len];
      for (int i = 0; i < len; i++) {
        // Few distinct tokens in some texts (loops), many in others (prose).
        tokens[i] = Tokens.textHash(words[rnd.nextInt(text % 2 == 0 ? 3 : words.length)] + (text % 5 == 0 ? "" : rnd.nextInt(50)));
      }
      for (int n : new int[] {1, 4, 10}) {
        assertEquals(Repetition.repeatedShare(tokens, n), counter.repeatedShare(tokens, n), 1e-15, "text " + text + " n " + n);
      }
    }
  }
}
