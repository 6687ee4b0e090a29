package dev.retort.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.data.AnswerType;
import dev.retort.core.data.SamplingParams;
import dev.retort.core.data.Trace;
import dev.retort.core.data.Verdict;
import dev.retort.verify.Verifiers;
import dev.retort.verify.code.CodeLimits;
import dev.retort.verify.code.CodeVerifier;
import dev.retort.verify.code.PythonSandbox;
import dev.retort.verify.code.Sandboxes;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The filter judges the traces of a code prompt by running their code: the dispatch for answer type "code". */
class CodeTracesJudgedTest {
  private static final String TESTS = "[{\"input\": \"3\\n\", \"output\": \"6\\n\"}, {\"input\": \"10\\n\", \"output\": \"55\\n\"}]";

  private static Trace trace(int sample, String answer) {
    return new Trace("code/triangle", sample, "teacher-test", "unit",
        "Read n and print 1 + 2 + ... + n.", TESTS, AnswerType.CODE,
        new SamplingParams(0.6, 0.95, 0, 256, 7L + sample),
        "The sum of the first n integers is n(n+1)/2, so one line of arithmetic does it.", answer, "stop", 20, 60, 5, null);
  }

  @Test
  void codeTracesAreAcceptedOrRejectedByExecution() {
    CodeVerifier code = Sandboxes.verifier(CodeLimits.of(1, 256L << 20));
    TraceJudge judge = new TraceJudge(TestTraces.settings(),
        type -> type.equals("code") ? code : Verifiers.forAnswerType(type));
    List<Verdict> v = judge.judge(List.of(
        trace(0, "Here is the program:\n```python\nn = int(input())\nprint(n * (n + 1) // 2)\n```"),
        trace(1, "Here is the program:\n```python\nn = int(input())\nprint(n * (n - 1) // 2)\n```"),
        trace(2, "The answer is to use the formula.")), List.of());
    assertTrue(v.get(0).correct(), v.get(0).reasons().toString());
    assertTrue(v.get(0).reasons().isEmpty(), v.get(0).reasons().toString());
    assertFalse(v.get(1).correct());
    assertTrue(v.get(1).reasons().contains(Reasons.INCORRECT), v.get(1).reasons().toString());
    assertFalse(v.get(2).correct());
    assertTrue(v.get(2).reasons().contains(Reasons.ANSWER_FORMAT), v.get(2).reasons().toString());
  }

  @Test
  void aMissingSandboxStopsTheJudgeInsteadOfRejectingTraces() {
    System.setProperty("retort.code.bwrap", "/nonexistent/bwrap");
    try {
      CodeVerifier missing = new CodeVerifier(PythonSandbox.Mode.BWRAP, CodeLimits.defaults());
      TraceJudge judge = new TraceJudge(TestTraces.settings(), type -> missing);
      org.junit.jupiter.api.Assertions.assertThrows(PythonSandbox.UnavailableException.class,
          () -> judge.judge(List.of(trace(0, "```python\nprint(1)\n```")), List.of()));
    } finally {
      System.clearProperty("retort.code.bwrap");
    }
  }

  @Test
  void answerTypeCodeSelectsTheCodeVerifier() {
    assertTrue(Verifiers.forAnswerType("code") instanceof CodeVerifier);
    assertEquals(AnswerType.CODE, AnswerType.parse("code"));
  }
}
