package dev.retort.eval;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.verify.Verification;
import dev.retort.verify.Verifiers;
import dev.retort.verify.code.CodeVerifier;
import dev.retort.verify.code.PythonSandbox;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Eval scores a code benchmark's samples by running them: answer type "code" through the shared verifiers. */
class CodeScoringTest {
  private static final String TESTS = "[{\"assert\": \"assert fib(10) == 55\\nassert fib(1) == 1\"}]";

  @Test
  void codeSamplesAreScoredByExecution() {
    try {
      CodeVerifier.shared().sandbox();
    } catch (PythonSandbox.UnavailableException e) {
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        throw e;
      }
      Assumptions.abort("code sandbox unavailable: " + e.getMessage());
    }
    Verification right = Verifiers.shared("code").verify(TESTS,
        "<think>\niterate\n</think>\n\n```python\ndef fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n"
            + "        a, b = b, a + b\n    return a\n```");
    Verification offByOne = Verifiers.shared("code").verify(TESTS,
        "<think>\niterate\n</think>\n\n```python\ndef fib(n):\n    a, b = 0, 1\n    for _ in range(n + 1):\n"
            + "        a, b = b, a + b\n    return a\n```");
    assertTrue(right.correct());
    assertFalse(offByOne.correct());
    assertTrue(right.extracted().contains("def fib"));
  }
}
