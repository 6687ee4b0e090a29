package dev.retort.train.grpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.retort.core.data.AnswerType;
import dev.retort.core.data.Completions;
import dev.retort.core.data.Prompt;
import dev.retort.core.data.SftExample;
import dev.retort.core.datasets.Arith;
import java.util.List;
import org.junit.jupiter.api.Test;

class BaseDataTest {
  @Test
  void answersOnlyCompletionsHaveAnEmptyThinkBlockAndTheBoxedAnswer() {
    List<Prompt> prompts = Arith.generate(Arith.Spec.defaults(), 3, 5, Arith.Split.TRAIN);
    String template = "{problem}\n" + Completions.MATH_SUFFIX;
    List<SftExample> rows = BaseData.answersOnly(prompts, template);
    assertEquals(prompts.size(), rows.size());
    for (int i = 0; i < rows.size(); i++) {
      Prompt p = prompts.get(i);
      SftExample e = rows.get(i);
      assertEquals("<think>\n\n</think>\n\nThe answer is \\boxed{" + p.referenceAnswer() + "}.", e.completion());
      assertEquals(p.problem() + "\n" + Completions.MATH_SUFFIX, e.prompt());
      assertEquals("", e.reasoning(), "no worked reasoning");
      assertEquals(Arith.answerText(p), e.answer());
      assertEquals(p.id(), e.promptId());
      assertEquals(e.completion(), e.messages().get(1).content());
      assertTrue(VerifierReward.wellFormed(e.completion(), false), "the base learns the rewarded format");
      assertTrue(new VerifierReward(0).score(p, e.completion(), false).correct());
    }
  }

  @Test
  void promptsWithoutAnswersAreSkippedAndNoneIsAnError() {
    Prompt unlabeled = new Prompt("u", "s", "What?", null, AnswerType.MATH, null, null);
    Prompt labeled = new Prompt("l", "s", "1+1?", "2", AnswerType.NUMBER, null, null);
    assertEquals(1, BaseData.answersOnly(List.of(unlabeled, labeled), "{problem}").size());
    assertThrows(IllegalArgumentException.class, () -> BaseData.answersOnly(List.of(unlabeled), "{problem}"));
    assertThrows(IllegalArgumentException.class, () -> BaseData.answersOnly(List.of(labeled), "no placeholder"));
  }
}
