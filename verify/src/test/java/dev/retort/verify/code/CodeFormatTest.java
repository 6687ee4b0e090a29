package dev.retort.verify.code;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Extraction of the submitted code and the reading and comparing of tests; no sandbox needed. */
class CodeFormatTest {

  @Test
  void theFinalCompleteFenceAfterThinkingIsTheCode() {
    String r = "<think>try ```python\nprint(0)\n``` first</think>\nDraft:\n```python\nprint(1)\n```\nFinal:\n```py\nprint(2)\n```\nDone.";
    var code = CodeExtractor.extract(r).orElseThrow();
    assertEquals("print(2)\n", code.source());
    assertEquals("py", code.language());
  }

  @Test
  void noCodeWhenThinkingNeverEndsOrTheFenceIsCutOff() {
    assertTrue(CodeExtractor.extract("<think>```python\nprint(1)\n```").isEmpty());
    assertTrue(CodeExtractor.extract("Here:\n```python\nprint(1)\n").isEmpty());
    assertTrue(CodeExtractor.extract("just words").isEmpty());
    assertEquals("x = 1\n", CodeExtractor.extract("```\nx = 1\n```").orElseThrow().source());
  }

  @Test
  void languageFromTheFenceDecidesWhetherItRuns() {
    assertTrue(CodeExtractor.isPython(""));
    assertTrue(CodeExtractor.isPython("python3"));
    assertFalse(CodeExtractor.isPython("cpp"));
    CodeVerdict v = new CodeVerifier(() -> { throw new AssertionError("no sandbox for non-Python code"); },
        CodeLimits.defaults()).run(List.of(CodeTest.io("", "1")), "```cpp\nint main(){}\n```");
    assertEquals(CodeVerdict.NO_CODE, v.reason());
  }

  @Test
  void outputsCompareLineByLineIgnoringTrailingWhitespace() {
    assertTrue(CodeTest.sameOutput("1 2\n3\n", "1 2   \r\n3\n\n\n"));
    assertFalse(CodeTest.sameOutput("1 2\n3\n", " 1 2\n3\n"));
    assertFalse(CodeTest.sameOutput("1\n\n2", "1\n2"));
    assertFalse(CodeTest.sameOutput("12", "1 2"));
  }

  @Test
  void testsParseInBothStylesAndBadOnesAreRefused() {
    List<CodeTest> t = CodeTest.parseJson("[{\"input\":\"1\\n\",\"output\":\"2\"},{\"assert\":\"assert f(1)==2\"}]");
    assertEquals(CodeTest.io("1\n", "2"), t.get(0));
    assertEquals(CodeTest.asserting("assert f(1)==2"), t.get(1));
    assertEquals(1, CodeTest.parseJson("{\"tests\":[{\"assert\":\"pass\"}]}").size());
    assertThrows(IllegalArgumentException.class, () -> CodeTest.parseJson("[]"));
    assertThrows(IllegalArgumentException.class, () -> CodeTest.parseJson("[{\"input\":\"1\"}]"));
    assertThrows(IllegalArgumentException.class, () -> CodeTest.parseJson("not json"));
  }

  @Test
  void withoutBubblewrapTheVerifierRefusesWithTheInstallCommand() {
    System.setProperty("retort.code.bwrap", "/nonexistent/bwrap");
    try {
      CodeVerifier v = new CodeVerifier(PythonSandbox.Mode.BWRAP, CodeLimits.defaults());
      PythonSandbox.UnavailableException e = assertThrows(PythonSandbox.UnavailableException.class,
          () -> v.verify("[{\"input\": \"\", \"output\": \"1\"}]", "```python\nprint(1)\n```"));
      assertTrue(e.getMessage().contains("apt-get install -y bubblewrap"), e.getMessage());
      assertTrue(e.getMessage().contains("unsafe-local"), e.getMessage());
    } finally {
      System.clearProperty("retort.code.bwrap");
    }
  }
}
