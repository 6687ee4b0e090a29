package dev.retort.eval;

import java.io.Serializable;

/**
 * Judges one response against the reference: extracts the final answer and decides whether it is
 * correct. Serializable so a Spark task can carry it; {@link VerifierScorer} is the one Retort uses.
 */
@FunctionalInterface
public interface Scorer extends Serializable {
  /**
   * @param reference the gold answer
   * @param answerType number, math, choice or string (picks the verifier)
   * @param response the model's full response
   */
  Scored score(String reference, String answerType, String response);

  /** @param extracted the extracted final answer, null when the response has none */
  record Scored(String extracted, boolean correct) {}
}
