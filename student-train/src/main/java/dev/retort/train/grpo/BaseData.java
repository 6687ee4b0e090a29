package dev.retort.train.grpo;

import dev.retort.core.data.Prompt;
import dev.retort.core.data.SftExample;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Data for the stand-in "base" model of the distilled-versus-RL comparison: prompts with their
 * final answers only and an empty reasoning block, so the model learns the task's surface and
 * answer format but no worked reasoning, as a pretrained base that has seen answers but was never
 * taught to reason. Both arms start from the model the SFT trainer makes of these rows:
 * distillation fine-tunes it on teacher traces, GRPO on verifier rewards.
 */
public final class BaseData {
  private static final Logger LOG = LoggerFactory.getLogger(BaseData.class);

  private BaseData() {}

  /**
   * One example per prompt that has a reference answer, with completion
   * {@code <think>\n\n</think>\n\nThe answer is \boxed{N}.} (the chat template adds the end token).
   *
   * @param promptTemplate the user turn with {@value GrpoSettings#PROBLEM}; use the same template
   *     for both arms and for evaluation
   * @throws IllegalArgumentException when the template lacks the placeholder or no prompt has an answer
   */
  public static List<SftExample> answersOnly(List<Prompt> prompts, String promptTemplate) {
    if (promptTemplate == null || !promptTemplate.contains(GrpoSettings.PROBLEM)) {
      throw new IllegalArgumentException("prompt template must contain " + GrpoSettings.PROBLEM + ", got: " + promptTemplate);
    }
    List<SftExample> out = new ArrayList<>(prompts.size());
    int skipped = 0;
    for (Prompt p : prompts) {
      if (p.referenceAnswer() == null || p.referenceAnswer().isBlank()) {
        skipped++;
        continue;
      }
      String user = promptTemplate.replace(GrpoSettings.PROBLEM, p.problem());
      out.add(SftExample.of(p.id(), 0, p.source(), user, "", answerText(p.referenceAnswer())));
    }
    if (skipped > 0) {
      LOG.info("answers-only data: {} examples, {} prompts without a reference answer skipped", out.size(), skipped);
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("none of the " + prompts.size() + " prompts has a reference answer");
    }
    return out;
  }

  /**
   * The base's data when it is to be a weak reasoner: the first {@code worked} share of the
   * prompts (rounded) with their worked reference solutions ({@link dev.retort.train.SftData#fromPrompts}),
   * the rest {@link #answersOnly}.
   *
   * @throws IllegalArgumentException when {@code worked} is outside [0, 1] or no row results
   */
  public static List<SftExample> mixed(List<Prompt> prompts, String promptTemplate, double worked) {
    if (!(worked >= 0 && worked <= 1)) {
      throw new IllegalArgumentException("the worked share must be in [0, 1], got " + worked);
    }
    int n = (int) Math.round(worked * prompts.size());
    List<SftExample> out = new ArrayList<>();
    if (n > 0) {
      out.addAll(dev.retort.train.SftData.fromPrompts(prompts.subList(0, n), promptTemplate));
    }
    if (n < prompts.size()) {
      out.addAll(answersOnly(prompts.subList(n, prompts.size()), promptTemplate));
    }
    return out;
  }

  /** {@code The answer is \boxed{N}.}, the answer sentence every Retort completion ends with. */
  public static String answerText(String reference) {
    return "The answer is \\boxed{" + reference.strip() + "}.";
  }
}
