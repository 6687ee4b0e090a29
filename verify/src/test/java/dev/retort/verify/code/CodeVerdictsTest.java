package dev.retort.verify.code;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.verify.Verification;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each verdict of the code verifier, from real runs in the bubblewrap sandbox. */
class CodeVerdictsTest {
  private static final CodeLimits FAST = CodeLimits.of(1, 256L << 20).withWallSeconds(3).withOutputBytes(64 << 10);
  private static final List<CodeTest> SUM = List.of(CodeTest.io("1 2\n", "3\n"), CodeTest.io("10 -4\n", "6"),
      CodeTest.io("0 0\n", "0"));

  private static CodeVerdict run(List<CodeTest> tests, String code) {
    return Sandboxes.verifier(FAST).run(tests, "Solution:\n```python\n" + code + "\n```\n");
  }

  @Test
  void aCorrectProgramIsAcceptedOnEveryTest() {
    CodeVerdict v = run(SUM, "a, b = map(int, input().split())\nprint(a + b)");
    assertEquals(CodeVerdict.ACCEPTED, v.reason(), v.detail());
    assertEquals(3, v.testsRun());
    assertTrue(v.correct());
  }

  @Test
  void aWrongAnswerNamesTheFirstFailingCase() {
    // Right while a < 5: the second test (a = 10) is the first to fail.
    CodeVerdict v = run(SUM, "a, b = map(int, input().split())\nprint(a + b if a < 5 else a - b)");
    assertEquals(CodeVerdict.WRONG_ANSWER, v.reason());
    assertEquals(1, v.failedTest());
    assertTrue(v.detail().contains("expected: 6") && v.detail().contains("got: 14"), v.detail());
  }

  @Test
  void errorsLimitsAndMissingCodeHaveTheirReasons() {
    assertEquals(CodeVerdict.RUNTIME_ERROR, run(SUM, "print(1 // 0)").reason());
    assertEquals(CodeVerdict.RUNTIME_ERROR, run(SUM, "import sys\nprint(3)\nsys.exit(2)").reason());
    assertEquals(CodeVerdict.COMPILE_ERROR, run(SUM, "def f(:\n  pass").reason());
    assertEquals(CodeVerdict.TIMEOUT, run(SUM, "while True:\n  pass").reason());
    assertEquals(CodeVerdict.MEMORY_LIMIT, run(SUM, "x = bytearray(1 << 33)").reason());
    assertEquals(CodeVerdict.OUTPUT_LIMIT, run(SUM, "while True:\n  print('y' * 1000)").reason());
    assertEquals(CodeVerdict.NO_CODE, Sandboxes.verifier(FAST).run(SUM, "The answer is 3.").reason());
  }

  @Test
  void assertionTestsPassOnlyWhenTheAssertionsRunToTheirEnd() {
    List<CodeTest> tests = List.of(CodeTest.asserting("assert add(1, 2) == 3\nassert add(-1, 1) == 0"),
        CodeTest.asserting("def check(f):\n    assert f(5, 5) == 10\ncheck(add)"));
    assertEquals(CodeVerdict.ACCEPTED, run(tests, "def add(a, b):\n    return a + b").reason());
    CodeVerdict wrong = run(tests, "def add(a, b):\n    return a - b");
    assertEquals(CodeVerdict.WRONG_ANSWER, wrong.reason());
    assertEquals(0, wrong.failedTest());
    // Leaving before the assertions run is not passing them.
    assertEquals(CodeVerdict.WRONG_ANSWER, run(tests, "import os\nos._exit(0)").reason());
    assertEquals(CodeVerdict.WRONG_ANSWER, run(tests, "import sys\nsys.exit(0)").reason());
    assertEquals(CodeVerdict.RUNTIME_ERROR, run(tests, "def add(a, b):\n    return a + None").reason());
  }

  @Test
  void theVerifierInterfaceTakesTheTestsAsTheReferenceAnswer() {
    CodeVerifier v = Sandboxes.verifier(FAST);
    String gold = "[{\"input\": \"2 2\\n\", \"output\": \"4\\n\"}]";
    Verification ok = v.verify(gold, "```python\nprint(sum(map(int, input().split())))\n```");
    assertTrue(ok.correct());
    assertEquals(CodeVerdict.ACCEPTED, ok.reason());
    assertTrue(ok.extracted().contains("print(sum"));
    Verification cut = v.verify(gold, "```python\nprint(sum(map(int, input().split())))\n```", true);
    assertFalse(cut.correct());
    assertEquals(Verification.PARSE_ERROR, v.verify("not json", "```python\nprint(4)\n```").reason());
  }

  @Test
  void unsafeLocalRunsTheSameHarnessWithoutIsolation() {
    // Benign programs only: this mode has no isolation.
    CodeVerifier v = new CodeVerifier(PythonSandbox.Mode.UNSAFE_LOCAL, FAST);
    assertEquals(PythonSandbox.Mode.UNSAFE_LOCAL, v.sandbox().mode());
    assertEquals(CodeVerdict.ACCEPTED, v.run(SUM, "```python\na, b = map(int, input().split())\nprint(a + b)\n```").reason());
    assertEquals(CodeVerdict.WRONG_ANSWER, v.run(SUM, "```python\nprint(3)\n```").reason());
    assertEquals(CodeVerdict.TIMEOUT, v.run(SUM, "```python\nwhile True:\n    pass\n```").reason());
  }
}
