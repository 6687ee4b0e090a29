package dev.retort.eval;

import dev.retort.verify.AnswerEquivalence;

/**
 * Answer grouping for majority vote through the filter's {@link AnswerEquivalence}: the same
 * notion of "the same answer" that decides correctness, so "1/2", "0.5" and "\frac{1}{2}" are
 * one vote.
 */
public final class Equivalence implements AnswerGrouping {
  public static final Equivalence INSTANCE = new Equivalence();

  private Equivalence() {}

  @Override
  public String canonical(String answer) {
    return AnswerEquivalence.canonical(answer);
  }

  @Override
  public boolean equivalent(String a, String b) {
    return AnswerEquivalence.equivalent(a, b);
  }
}
