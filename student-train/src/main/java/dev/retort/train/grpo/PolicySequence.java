package dev.retort.train.grpo;

/**
 * One sampled completion as the objective sees it.
 *
 * @param tokens prompt ids followed by the generated ids (the end-of-turn token included when
 *     generation stopped on it, so the policy is also trained on when to stop)
 * @param promptLength ids before the completion; only ids from here on are scored
 * @param advantage the completion's group-relative advantage
 * @param weight this completion's share of the step's loss per token (the variant's normalizer)
 */
public record PolicySequence(int[] tokens, int promptLength, double advantage, double weight) {
  public PolicySequence {
    if (promptLength < 1 || promptLength >= tokens.length) {
      throw new IllegalArgumentException("a sequence needs at least one prompt and one completion token, got prompt "
          + promptLength + " of " + tokens.length);
    }
  }

  public int completionLength() {
    return tokens.length - promptLength;
  }
}
