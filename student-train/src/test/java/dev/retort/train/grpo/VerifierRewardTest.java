package dev.retort.train.grpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.data.AnswerType;
import dev.retort.core.data.Prompt;
import org.junit.jupiter.api.Test;

class VerifierRewardTest {
  private final Prompt p = new Prompt("p1", "t", "What is 6 * 7?", "42", AnswerType.NUMBER, null, null);

  @Test
  void correctnessComesFromTheVerifier() {
    VerifierReward r = new VerifierReward(0);
    RewardFunction.Score ok = r.score(p, "<think>\n6 * 7 = 42\n</think>\n\nThe answer is \\boxed{42}.", false);
    assertTrue(ok.correct());
    assertTrue(ok.wellFormed());
    assertEquals(1.0, ok.reward());
    RewardFunction.Score equivalent = r.score(p, "<think>\n\n</think>\n\nThe answer is \\boxed{42.0}.", false);
    assertTrue(equivalent.correct(), "the math verifier compares values, not spellings");
    RewardFunction.Score wrong = r.score(p, "<think>\n\n</think>\n\nThe answer is \\boxed{41}.", false);
    assertFalse(wrong.correct());
    assertEquals(0.0, wrong.reward());
  }

  @Test
  void codeCompletionsAreWellFormedWithAFencedBlockAfterThinking() {
    assertTrue(VerifierReward.wellFormedCode("<think>\nsum\n</think>\n\n```python\nprint(1)\n```", false));
    assertFalse(VerifierReward.wellFormedCode("<think>\nsum\n</think>\n\nprint(1)", false), "no fence");
    assertFalse(VerifierReward.wellFormedCode("<think>\n```python\nprint(1)\n```", false), "never closed");
    assertFalse(VerifierReward.wellFormedCode("<think>\n</think>\n\n```python\nprint(1)\n", false), "cut off");
    assertFalse(VerifierReward.wellFormedCode("<think>\n</think>\n\n```python\nprint(1)\n```", true));
  }

  @Test
  void codeRewardIsTheSandboxedVerdict() {
    try {
      dev.retort.verify.code.CodeVerifier.shared().sandbox();
    } catch (dev.retort.verify.code.PythonSandbox.UnavailableException e) {
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        throw e;
      }
      org.junit.jupiter.api.Assumptions.abort("code sandbox unavailable: " + e.getMessage());
    }
    Prompt code = new Prompt("c1", "t", "Print the sum of two integers on one line.",
        "[{\"input\": \"2 3\\n\", \"output\": \"5\"}, {\"input\": \"-1 1\\n\", \"output\": \"0\"}]",
        AnswerType.CODE, null, null);
    VerifierReward r = new VerifierReward(0.25);
    RewardFunction.Score ok = r.score(code,
        "<think>\nadd them\n</think>\n\n```python\nprint(sum(map(int, input().split())))\n```", false);
    assertTrue(ok.correct());
    assertEquals(1.25, ok.reward(), 1e-12);
    RewardFunction.Score wrong = r.score(code,
        "<think>\nmultiply?\n</think>\n\n```python\na, b = map(int, input().split())\nprint(a * b)\n```", false);
    assertFalse(wrong.correct());
    assertEquals(0.25, wrong.reward(), 1e-12);
  }

  @Test
  void truncatedCompletionsEarnNothing() {
    VerifierReward r = new VerifierReward(0.5);
    RewardFunction.Score s = r.score(p, "<think>\n\n</think>\n\nThe answer is \\boxed{42}.", true);
    assertFalse(s.correct());
    assertFalse(s.wellFormed());
    assertEquals(0.0, s.reward());
  }

  @Test
  void formatRewardAddsItsWeightForWellFormedCompletions() {
    VerifierReward r = new VerifierReward(0.25);
    assertEquals(1.25, r.score(p, "<think>\nx\n</think>\n\n\\boxed{42}", false).reward(), 1e-12);
    assertEquals(0.25, r.score(p, "<think>\nx\n</think>\n\n\\boxed{40}", false).reward(), 1e-12);
    // correct but without the reasoning block: no format reward
    assertEquals(1.0, r.score(p, "The answer is \\boxed{42}.", false).reward(), 1e-12);
  }

  @Test
  void wellFormedNeedsOneClosedThinkBlockThenABoxedAnswer() {
    assertTrue(VerifierReward.wellFormed("<think>\n\n</think>\n\nThe answer is \\boxed{7}.", false));
    assertTrue(VerifierReward.wellFormed("<think>\na {b}\n</think>\n\n\\boxed{\\frac{1}{2}}", false));
    assertFalse(VerifierReward.wellFormed("<think>\n\n</think>\n\nThe answer is 7.", false), "no box");
    assertFalse(VerifierReward.wellFormed("<think>\n\n</think>\n\n\\boxed{}", false), "empty box");
    assertFalse(VerifierReward.wellFormed("<think>\n\n</think>\n\n\\boxed{7", false), "unbalanced box");
    assertFalse(VerifierReward.wellFormed("<think>\nreasoning never closed \\boxed{7}", false));
    assertFalse(VerifierReward.wellFormed("\\boxed{7} <think>\n\n</think>\n\n\\boxed{7}", false), "text before think");
    assertFalse(VerifierReward.wellFormed("<think>\n</think>\n</think>\n\n\\boxed{7}", false), "two closing tags");
    assertFalse(VerifierReward.wellFormed("<think>\n\n</think>\n\\boxed{7}", false), "no blank line");
    assertFalse(VerifierReward.wellFormed("<think>\n\n</think>\n\n\\boxed{7}", true), "truncated");
  }
}
