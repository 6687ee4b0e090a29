package dev.retort.train.grpo;

import dev.retort.core.data.Completions;
import dev.retort.core.data.Prompt;
import dev.retort.verify.Verification;
import dev.retort.verify.Verifier;
import dev.retort.verify.Verifiers;
import dev.retort.verify.code.CodeExtractor;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The RL arm's reward, from the same verifiers the filter uses to accept teacher traces (so both
 * arms of the comparison are judged by one notion of "correct"): 1 when the verifier accepts the
 * final answer, else 0; plus {@code formatWeight} when the completion is well-formed (DeepSeek-R1-Zero's
 * format reward): a {@code <think>...</think>} block, then an answer holding {@code \boxed{}} (for
 * answer type code: a fenced code block, which the code verifier runs against the prompt's tests).
 */
public final class VerifierReward implements RewardFunction {
  private final double formatWeight;
  private final Map<String, Verifier> verifiers = new ConcurrentHashMap<>();

  /** @param formatWeight reward of a well-formed completion; 0 turns the format reward off */
  public VerifierReward(double formatWeight) {
    if (formatWeight < 0) {
      throw new IllegalArgumentException("format weight must be >= 0, got " + formatWeight);
    }
    this.formatWeight = formatWeight;
  }

  @Override
  public Score score(Prompt prompt, String completion, boolean truncated) {
    String type = prompt.answerType().code();
    Verifier v = verifiers.computeIfAbsent(type, Verifiers::forAnswerType);
    boolean correct = false;
    if (prompt.referenceAnswer() != null && !prompt.referenceAnswer().isBlank()) {
      Verification r = v.verify(prompt.referenceAnswer(), completion, truncated);
      correct = r.correct();
    }
    boolean formed = type.equals("code") ? wellFormedCode(completion, truncated) : wellFormed(completion, truncated);
    return new Score((correct ? 1.0 : 0.0) + (formed ? formatWeight : 0.0), correct, formed);
  }

  /**
   * The format of a code completion: exactly one {@code <think>} at the start and one
   * {@code </think>} after it, then a complete fenced code block; a truncated completion is never
   * well-formed.
   */
  public static boolean wellFormedCode(String completion, boolean truncated) {
    if (truncated || completion == null) {
      return false;
    }
    String text = completion.strip();
    String open = Completions.THINK_OPEN;
    String close = Completions.THINK_CLOSE;
    int end = text.indexOf(close);
    return text.startsWith(open) && text.indexOf(open, open.length()) < 0 && end >= 0
        && text.indexOf(close, end + close.length()) < 0
        && CodeExtractor.extract(text.substring(end + close.length())).isPresent();
  }

  /**
   * Retort's completion format: exactly one {@code <think>} at the start and one {@code </think>}
   * after it, then a blank line and an answer with a non-empty {@code \boxed{...}}; a truncated
   * completion is never well-formed.
   */
  public static boolean wellFormed(String completion, boolean truncated) {
    if (truncated || completion == null) {
      return false;
    }
    String text = completion.strip();
    String open = Completions.THINK_OPEN;
    String close = Completions.THINK_CLOSE;
    if (!text.startsWith(open) || text.indexOf(open, open.length()) >= 0) {
      return false;
    }
    int end = text.indexOf(close);
    if (end < 0 || text.indexOf(close, end + close.length()) >= 0) {
      return false;
    }
    String rest = text.substring(end + close.length());
    if (!rest.startsWith("\n\n")) {
      return false;
    }
    int box = rest.indexOf("\\boxed{");
    if (box < 0) {
      return false;
    }
    int depth = 0;
    for (int i = box + "\\boxed{".length() - 1; i < rest.length(); i++) {
      char c = rest.charAt(i);
      if (c == '{') {
        depth++;
      } else if (c == '}' && --depth == 0) {
        return i > box + "\\boxed{".length(); // non-empty content
      }
    }
    return false; // unbalanced braces
  }
}
