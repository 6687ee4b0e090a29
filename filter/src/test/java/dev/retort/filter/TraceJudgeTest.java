package dev.retort.filter;

import static dev.retort.filter.TestTraces.settings;
import static dev.retort.filter.TestTraces.trace;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.data.Trace;
import dev.retort.core.data.Verdict;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TraceJudgeTest {
  private static final String PROBLEM = "Ava has 5 apples. Then Ava gets 7 more. How many apples does Ava have?";

  /** Distinct, fluent reasoning of about {@code words} words (so dedup and repetition stay quiet). */
  private static String reasoning(int seed, int words) {
    String[] vocab = "we start with five apples then add seven more so the total becomes twelve and we check each step carefully"
        .split(" ");
    StringBuilder b = new StringBuilder("Variant " + seed + ":");
    for (int i = 0; i < words; i++) {
      b.append(' ').append(vocab[(i * 7 + seed * 3) % vocab.length]).append(i % 5 == 0 ? " " + (seed * 100 + i) : "");
    }
    return b.toString();
  }

  private static Verdict one(Trace t, FilterSettings s) {
    return new TraceJudge(s).judge(List.of(t), List.of()).get(0);
  }

  @Test
  void correctTraceIsAcceptedWithItsExtractedAnswer() {
    Verdict v = one(trace("p", 0, PROBLEM, "12", reasoning(1, 30), "So Ava has \\boxed{12} apples."), settings());
    assertTrue(v.accepted(), v.reasons().toString());
    assertTrue(v.correct());
    assertEquals("12", v.extracted());
  }

  @Test
  void wrongAnswerIsRejectedAsIncorrect() {
    Verdict v = one(trace("p", 0, PROBLEM, "12", reasoning(1, 30), "\\boxed{13}"), settings());
    assertEquals(List.of(Reasons.INCORRECT), v.reasons());
    assertFalse(v.correct());
    assertTrue(one(trace("p", 0, PROBLEM, "12", reasoning(1, 30), "\\boxed{13}"), settings("filter.require-correct=false")).accepted());
  }

  @Test
  void truncatedIsNeverCorrect() {
    Verdict v = one(trace("p", 0, PROBLEM, "12", reasoning(1, 30), "\\boxed{12}", "length", 256), settings());
    assertFalse(v.correct(), "finish_reason length is never correct");
    assertEquals(List.of(Reasons.TRUNCATED), v.reasons());
  }

  @Test
  void missingAndUnclosedReasoning() {
    assertEquals(List.of(Reasons.MISSING_REASONING), one(trace("p", 0, PROBLEM, "12", "", "\\boxed{12}"), settings()).reasons());
    Verdict unclosed = one(trace("p", 0, PROBLEM, "12", null, "<think>\nfive plus seven is twelve \\boxed{12}"), settings());
    assertTrue(unclosed.reasons().contains(Reasons.UNCLOSED_REASONING), unclosed.reasons().toString());
  }

  @Test
  void languageMixingInReasoning() {
    String r = reasoning(2, 20) + " 所以答案是十二";
    Verdict v = one(trace("p", 0, PROBLEM, "12", r, "\\boxed{12}"), settings());
    assertEquals(List.of(Reasons.LANGUAGE_MIXING), v.reasons());
    assertTrue(one(trace("p", 0, PROBLEM, "12", r, "\\boxed{12}"), settings("filter.max-mixed-script-share=0.5")).accepted());
  }

  @Test
  void endlessRepetition() {
    String loop = reasoning(3, 10) + " " + "wait let me recount the apples one more time ".repeat(40);
    Verdict v = one(trace("p", 0, PROBLEM, "12", loop, "\\boxed{12}"), settings());
    assertEquals(List.of(Reasons.REPETITION), v.reasons());
  }

  @Test
  void lengthBounds() {
    FilterSettings s = settings("filter.min-reasoning-chars=50", "filter.max-reasoning-chars=400", "filter.max-completion-tokens=100");
    assertEquals(List.of(Reasons.REASONING_TOO_SHORT), one(trace("p", 0, PROBLEM, "12", "5 + 7 = 12", "\\boxed{12}"), s).reasons());
    String longR = reasoning(4, 150);
    assertTrue(longR.length() > 400);
    assertTrue(one(trace("p", 0, PROBLEM, "12", longR, "\\boxed{12}", "stop", 90), s).reasons().contains(Reasons.REASONING_TOO_LONG));
    assertEquals(List.of(Reasons.TOO_MANY_TOKENS),
        one(trace("p", 0, PROBLEM, "12", reasoning(4, 20), "\\boxed{12}", "stop", 101), s).reasons());
  }

  @Test
  void answerOutsideTheExpectedFormat() {
    Verdict none = one(trace("p", 0, PROBLEM, "12", reasoning(5, 20), "I am not sure."), settings());
    assertEquals(List.of(Reasons.ANSWER_FORMAT), none.reasons(), "no final answer: a format problem, not 'incorrect'");
    Verdict word = one(trace("p", 0, PROBLEM, "12", reasoning(5, 20), "\\boxed{twelve}"), settings());
    assertEquals(List.of(Reasons.ANSWER_FORMAT), word.reasons(), "a number answer needs a digit");
  }

  @Test
  void noReferenceIsUnverifiableUnlessCorrectnessIsNotRequired() {
    Trace t = trace("p", 0, PROBLEM, null, reasoning(6, 20), "\\boxed{12}");
    assertEquals(List.of(Reasons.UNVERIFIABLE), one(t, settings()).reasons());
    Verdict lenient = one(t, settings("filter.require-correct=false"));
    assertTrue(lenient.accepted());
    assertFalse(lenient.correct());
  }

  @Test
  void keepsAtMostKPreferringShorter() {
    List<Trace> group = new ArrayList<>();
    int[] tokens = {90, 30, 60, 10, 45};
    for (int i = 0; i < tokens.length; i++) {
      group.add(trace("p", i, PROBLEM, "12", reasoning(10 + i, 20 + i * 5), "\\boxed{12}", "stop", tokens[i]));
    }
    group.add(trace("p", 5, PROBLEM, "12", reasoning(20, 20), "\\boxed{11}", "stop", 1));
    List<Verdict> vs = new TraceJudge(settings("filter.keep-per-prompt=2")).judge(group, List.of());
    List<Integer> kept = vs.stream().filter(Verdict::accepted).map(v -> v.trace().sampleIndex()).toList();
    assertEquals(List.of(1, 3), kept, "the two shortest correct traces");
    assertEquals(List.of(Reasons.KEEP_LIMIT), vs.get(0).reasons());
    assertEquals(List.of(Reasons.INCORRECT), vs.get(5).reasons(), "the shortest trace is wrong: never kept");
    List<Verdict> byIndex = new TraceJudge(settings("filter.keep-per-prompt=2", "filter.prefer-shorter=false")).judge(group, List.of());
    assertEquals(List.of(0, 1), byIndex.stream().filter(Verdict::accepted).map(v -> v.trace().sampleIndex()).toList());
  }

  @Test
  void duplicateAndNearDuplicateTraces() {
    String r = reasoning(30, 150);
    String near = r.replace("Variant 30:", "Variant 30 again:");
    List<Trace> group = List.of(
        trace("p", 0, PROBLEM, "12", r, "\\boxed{12}", "stop", 50),
        trace("p", 1, PROBLEM, "12", r.toUpperCase(), "\\boxed{12}", "stop", 50),
        trace("p", 2, PROBLEM, "12", near, "\\boxed{12}", "stop", 50),
        trace("p", 3, PROBLEM, "12", r, "\\boxed{13}", "stop", 50),
        trace("p", 4, PROBLEM, "12", reasoning(31, 150), "\\boxed{12}", "stop", 50));
    List<Verdict> vs = new TraceJudge(settings()).judge(group, List.of());
    assertEquals(List.of(), vs.get(0).reasons());
    assertEquals(List.of(Reasons.DUPLICATE_TRACE), vs.get(1).reasons());
    assertEquals(List.of(Reasons.NEAR_DUPLICATE_TRACE), vs.get(2).reasons());
    assertEquals(List.of(Reasons.INCORRECT), vs.get(3).reasons(), "a wrong trace is reported as wrong, not as a duplicate");
    assertEquals(List.of(), vs.get(4).reasons());
    List<Verdict> noDedup = new TraceJudge(settings("filter.dedup-traces=false")).judge(group, List.of());
    assertEquals(4, noDedup.stream().filter(Verdict::accepted).count());
  }

  @Test
  void promptReasonsRejectEveryTraceAndDuplicateKeysAreMalformed() {
    List<Trace> group = List.of(
        trace("p", 0, PROBLEM, "12", reasoning(40, 20), "\\boxed{12}"),
        trace("p", 0, PROBLEM, "12", reasoning(41, 20), "\\boxed{12}"));
    List<Verdict> vs = new TraceJudge(settings()).judge(group, List.of("contaminated:math500"));
    assertEquals(List.of("contaminated:math500"), vs.get(0).reasons());
    assertEquals(List.of(Reasons.DUPLICATE_KEY, "contaminated:math500"), vs.get(1).reasons());
    assertThrows(IllegalArgumentException.class, () -> new TraceJudge(settings()).judge(
        List.of(trace("a", 0, PROBLEM, "1", "r", "\\boxed{1}"), trace("b", 0, PROBLEM, "1", "r", "\\boxed{1}")), List.of()));
  }

  @Test
  void sftViewUsesThePromptTemplate() {
    Trace t = trace("p", 3, PROBLEM, "12", "five plus seven", "\\boxed{12}");
    var e = SftView.of(t, settings());
    assertEquals(PROBLEM + "\nPlease reason step by step, and put your final answer within \\boxed{}.", e.prompt());
    assertEquals("<think>\nfive plus seven\n</think>\n\n\\boxed{12}", e.completion());
    // prompt-completion (the default) leaves out the columns that repeat the reasoning.
    assertEquals(List.of(), e.messages());
    assertNull(e.reasoning());
    assertNull(e.answer());
    var m = SftView.of(t, settings("filter.sft-format=messages"));
    assertEquals(List.of("user", "assistant"), m.messages().stream().map(x -> x.role()).toList());
    assertEquals(List.of(e.prompt(), e.completion()), m.messages().stream().map(x -> x.content()).toList());
    assertNull(m.reasoning());
    var all = SftView.of(t, settings("filter.sft-format=all"));
    assertEquals("five plus seven", all.reasoning());
    assertEquals("\\boxed{12}", all.answer());
    assertEquals(m.messages(), all.messages());
    assertEquals(e.completion(), all.completion());
    var bad = assertThrows(dev.retort.core.config.ConfigError.class, () -> settings("filter.sft-format=chatml"));
    assertTrue(bad.getMessage().contains("sft-format"), bad.getMessage());
    assertEquals("Q: " + PROBLEM, SftView.of(t, settings("filter.prompt-template=\"Q: {problem}\"")).prompt());
  }
}
