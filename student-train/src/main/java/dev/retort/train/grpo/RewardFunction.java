package dev.retort.train.grpo;

import dev.retort.core.data.Prompt;

/**
 * Scores one sampled completion of a prompt. Implementations are pure and thread-safe; the
 * trainer calls them once per completion, after sampling, outside any gradient computation.
 */
@FunctionalInterface
public interface RewardFunction {
  /**
   * @param prompt the prompt with its reference answer
   * @param completion the generated text, without the end-of-turn token
   * @param truncated true when generation hit max-new-tokens (such a completion is never correct)
   */
  Score score(Prompt prompt, String completion, boolean truncated);

  /**
   * @param reward the scalar the advantages are computed from
   * @param correct whether the verifier accepted the answer (the accuracy metric)
   * @param wellFormed whether the completion has Retort's format (the format-rate metric)
   */
  record Score(double reward, boolean correct, boolean wellFormed) {}
}
