package dev.retort.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MathVerifierTest {
  private final MathVerifier verifier = new MathVerifier();

  private boolean same(String gold, String response) {
    return verifier.verify(gold, response).correct();
  }

  // ---------------------------------------------------------------- reported verifier bugs

  @Test
  void factorialsThatUnderflowDoublesStayDistinct() {
    // Math-Verify issue: 1/2004! was taken equal to 1/2006! (both 0.0 as doubles).
    assertFalse(same("\\frac{1}{2004!}", "\\boxed{\\frac{1}{2006!}}"));
    assertFalse(same("1/2006!", "1/2004!"));
    assertTrue(same("\\frac{1}{2004!}", "\\boxed{1/2004!}"));
    assertTrue(same("\\frac{2005}{2006!}", "\\frac{1}{2004! \\cdot 2006}"));
  }

  @Test
  void signOfAReciprocalOfEMatters() {
    // Math-Verify issue: 1 - 1/e was taken equal to 1 + 1/e.
    assertFalse(same("1 - \\frac{1}{\\mathrm{e}}", "$1 + \\frac{1}{\\mathrm{e}}$"));
    assertFalse(same("1+\\frac1e", "1-\\frac1e"));
    assertTrue(same("1 - \\frac{1}{e}", "\\boxed{1 - e^{-1}}"));
    assertTrue(same("1 - \\frac{1}{\\mathrm{e}}", "\\frac{e-1}{e}"));
  }

  @ParameterizedTest
  @CsvSource({"16,16", "016,16", "0,0", "-0,0", "000,0", "-007,-7", "-12,-12", "120,120"})
  void bareIntegersNormalize(String in, String digits) {
    assertEquals(digits, MathVerifier.plainInteger(in));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {"''", "-", "1.0", "1 000", "1,000", "+5", "\\frac{1}{2}", "12a", "--1", "1-"})
  void otherAnswersAreNotBareIntegers(String in) {
    assertNull(MathVerifier.plainInteger(in));
  }

  @Test
  void bareIntegersCompareByValue() {
    assertTrue(same("16", "The answer is \\boxed{016}."));
    assertTrue(same("-0", "\\boxed{0}"));
    assertFalse(same("12", "\\boxed{13}"));
    assertFalse(same("-12", "\\boxed{12}"));
    assertFalse(same("120", "\\boxed{12}"));
  }

  @Test
  void leadingZerosAreTheSameNumber() {
    // Math-Verify issue: "016" was not matched with "16" (AIME answers are written 016).
    assertTrue(same("16", "The answer is \\boxed{016}."));
    assertTrue(same("016", "16"));
    assertTrue(same("4", "So, \\boxed{004} is the correct answer."));
    assertFalse(same("016", "\\boxed{61}"));
  }

  @Test
  void boldAnswerIsExtracted() {
    // Math-Verify issue: an answer given only in bold was not extracted.
    Verification v = verifier.verify("42", "Adding the two parts gives the total.\n\nThe total is **42**.");
    assertTrue(v.correct(), v.toString());
    assertEquals("42", v.extracted());
  }

  // ---------------------------------------------------------------- truncation and missing answers

  @Test
  void unfinishedThinkingIsNoAnswerEvenWithABoxInside() {
    Verification v = verifier.verify("5", "<think>\nLet me try 2+3 = \\boxed{5}, hmm, but wait");
    assertFalse(v.correct());
    assertEquals(Verification.NO_ANSWER, v.reason());
    assertNull(v.extracted());
  }

  @Test
  void onlyTheTextAfterThinkCounts() {
    assertTrue(same("5", "<think>maybe \\boxed{4}</think>\n\nThe answer is \\boxed{5}."));
    assertFalse(same("4", "<think>maybe \\boxed{4}</think>\n\nThe answer is \\boxed{5}."));
    assertEquals(Verification.NO_ANSWER, verifier.verify("4", "<think>maybe \\boxed{4}</think>").reason());
  }

  @Test
  void callerReportedTruncationIsNeverCorrect() {
    Verification v = verifier.verify("5", "so the sum is \\boxed{5}", true);
    assertFalse(v.correct());
    assertEquals(Verification.TRUNCATED, v.reason());
  }

  @Test
  void responseCutMidSentenceWithoutAnAnswerHasNone() {
    String longReasoning = "We count the cases one by one. ".repeat(10)
        + "The first case gives 3 ways and the second case gives 5 ways, so in total we have 8 and then we need to";
    Verification v = verifier.verify("8", longReasoning);
    assertFalse(v.correct());
    assertEquals(Verification.NO_ANSWER, v.reason());
  }

  @Test
  void emptyResponseIsNoAnswer() {
    assertEquals(Verification.NO_ANSWER, verifier.verify("1", "   ").reason());
    assertEquals(Verification.NO_ANSWER, verifier.verify("1", null).reason());
  }

  // ---------------------------------------------------------------- normalization

  @ParameterizedTest(name = "{0} == {1}")
  @CsvSource(delimiter = '|', value = {
      "\\frac{1}{2}          | \\dfrac12",
      "\\frac{1}{2}          | \\tfrac{1}{2}",
      "\\frac{1}{2}          | 0.5",
      "\\frac{1}{2}          | 1/2",
      "\\left( 3, \\frac{\\pi}{2} \\right) | (3,\\frac\\pi2)",
      "10                    | 10\\text{ cm}",
      "15\\mbox{ cm}^2       | 15",
      "90^\\circ             | 90",
      "90^\\circ             | 90°",
      "50\\%                 | 50",
      "50\\%                 | 0.5",
      "\\$32,\\!348          | 32348",
      "10,\\!080             | 10080",
      "58,500                | 58500",
      "7425000               | 7,425,000",
      "1000                  | 1 000",
      "2.74                  | 2,74",
      "0.1                   | .1",
      "\\$18.90              | 18.9",
      "1\\frac{4}{5}         | \\frac95",
      "137 \\frac{1}{2}      | 137.5",
      "\\frac{1}{12}         | 0.0833333333",
      "204_5                 | 204_5",
      "\\text{(C)}           | C",
      "\\text{Evelyn}        | Evelyn",
      "x=5                   | 5",
      "k = \\frac{1}{3}      | \\frac13",
      "\\sqrt{8}             | 2\\sqrt{2}",
      "\\frac{\\sqrt{3}}{3}  | \\frac{1}{\\sqrt3}",
      "(x+1)^2               | x^2+2x+1",
      "p - q                 | -(q-p)",
      "\\cot x               | \\frac{\\cos x}{\\sin x}",
      "\\sin^2 x + \\cos^2 x | 1",
      "6 - 5i                | -5i + 6",
      "2i                    | (1+i)^2",
      "1 \\pm \\sqrt{19}     | 1-\\sqrt{19}, 1+\\sqrt{19}",
      "\\{1\\pm\\sqrt{5},-2\\} | \\{-2, 1+\\sqrt5, 1-\\sqrt5\\}",
      "2^{10}                | 1024",
      "\\binom{5}{2}         | 10",
      "\\log_2 8             | 3",
      "y = 2x + 3            | 2x - y + 3 = 0",
      "x \\in [-2,7]         | -2 \\le x \\le 7",
      "(2,\\infty)           | x > 2",
      "(-\\infty, 0]         | x \\leq 0",
      "(0,9) \\cup (9,36)    | (9,36) \\cup (0,9)",
      "\\begin{pmatrix} -1/3 \\\\ 2/3 \\end{pmatrix} | \\begin{bmatrix} -\\frac13 \\\\ \\frac{2}{3} \\end{bmatrix}",
      "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix} | (1, 2)",
  })
  void equivalent(String gold, String pred) {
    Verification v = verifier.verify(gold, pred);
    assertTrue(v.correct(), gold + " vs " + pred + " -> " + v);
  }

  @ParameterizedTest(name = "{0} != {1}")
  @CsvSource(delimiter = '|', value = {
      "\\frac{1}{3}          | 0.33",
      "\\frac{1}{2}          | 0.51",
      "(1,2)                 | (2,1)",
      "[0,1)                 | [0,1]",
      "(0,1)                 | [0,1)",
      "x^2+2x                | x^2+2",
      "2x                    | 2y",
      "\\pm 2021             | 2021",
      "2                     | \\frac{1+\\sqrt{5}}{2}",
      "4                     | 4\\sqrt{2}",
      "5x - 7y + 11z + 4 = 0 | x + y - z + 2 = 0",
      "7 = 11a+c             | 11a+c",
      "x < 1                 | x > -1",
      "10, 4, -2             | 4, 10, -2",
      "32349                 | 32, 349",
      "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix} | \\begin{pmatrix} 1 & 2 \\\\ 3 & 5 \\end{pmatrix}",
      "\\text{east}          | \\text{west}",
      "1+2i                  | 1-2i",
      "10^{-20}              | 0",
      "2                     | AZYUK2A",
  })
  void different(String gold, String pred) {
    Verification v = verifier.verify(gold, pred);
    assertFalse(v.correct(), gold + " vs " + pred + " -> " + v);
  }

  @Test
  void solutionSetsIgnoreOrderButOrderedListsDoNot() {
    assertTrue(same("1,-2", "\\boxed{-2} and \\boxed{1}"));
    assertTrue(same("(2,1),(1,2)", "\\boxed{(1,2),(2,1)}"));
    assertTrue(same("x = 1, x = 2", "x=2 \\text{ or } x=1"));
    assertTrue(same("a_3 = 2, a_{37} = 19", "a_{37} = 19, a_3 = 2"));
    assertFalse(same("(1,2)", "\\boxed{(2,1)}"));
  }

  @Test
  void thousandsSeparatorVersusTupleIsDecidedByTheGold() {
    assertTrue(same("1000", "\\boxed{1,000}"));
    assertTrue(same("(1, 0)", "\\boxed{(1,0)}"));
    assertFalse(same("1000", "\\boxed{1, 000}"));
    assertTrue(same("1, 22", "1,22"));
  }

  @Test
  void decimalPrecisionIsConfigurable() {
    MathVerifier twoPlaces = new MathVerifier(MathVerifier.Options.defaults().withDecimalPlaces(2));
    assertTrue(twoPlaces.verify("\\frac{8}{3}", "2.6667").correct());
    assertFalse(verifier.verify("\\frac{8}{3}", "2.6667").correct());
  }

  @Test
  void gsm8kHashAnswer() {
    String reference = "She sells 16 - 3 - 4 = <<16-3-4=9>>9 eggs.\nShe makes 9 * 2 = $<<9*2=18>>18.\n#### 18";
    Verification v = verifier.verify("18", reference);
    assertTrue(v.correct(), v.toString());
    assertEquals("18", v.extracted());
    assertFalse(verifier.verify("19", reference).correct());
  }

  @Test
  void finalAnswerSentenceAfterTheLastBoxWins() {
    String r = "First $0.04 \\cdot 10{,}000 / 2 = \\boxed{200}$, then $\\boxed{255}$. "
        + "Final Answer: The final answer is $10,455$. I hope it is correct.";
    Verification v = verifier.verify("10455", r);
    assertTrue(v.correct(), v.toString());
  }

  @Test
  void lastOfSeveralBoxesIsTheAnswer() {
    assertTrue(same("3", "We first get \\boxed{2}. Checking again the count is off by one.\n\nSo the answer is \\boxed{3}."));
    assertFalse(same("2", "We first get \\boxed{2}. Checking again the count is off by one.\n\nSo the answer is \\boxed{3}."));
  }

  @Test
  void verificationIsTimeBounded() {
    MathVerifier fast = new MathVerifier(MathVerifier.Options.defaults().withTimeoutMillis(50));
    long t0 = System.nanoTime();
    Verification v = fast.verify("\\sum_{k=1}^{9000} k^{5000}", "\\boxed{1}");
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertFalse(v.correct());
    assertEquals(Verification.TIMEOUT, v.reason());
    // Unbounded, this sum takes ~25 s here; the margin absorbs a loaded 2-core machine.
    assertTrue(ms < 5000, "took " + ms + " ms with a 50 ms limit");
  }

  @Test
  void hugeNumbersDoNotHang() {
    long t0 = System.nanoTime();
    assertFalse(same("2^{10^{9}}", "2^{10^{9}+1}"));
    assertFalse(same("100000!", "100001!"));
    assertTrue((System.nanoTime() - t0) / 1_000_000 < 3000);
  }

  @Test
  void blankGoldIsAParseError() {
    assertEquals(Verification.PARSE_ERROR, verifier.verify(" ", "\\boxed{1}").reason());
  }
}
