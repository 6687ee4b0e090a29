package dev.retort.eval;

import dev.retort.verify.AnswerEquivalence;

/**
 * How majority vote decides that two extracted answers are the same answer ("1/2", "0.5" and
 * "\frac{1}{2}" are one vote). {@link #canonical} is a fast key: equal keys mean equivalent;
 * {@link #equivalent} is asked only for answers whose keys differ.
 */
public interface AnswerGrouping {
  String canonical(String answer);

  boolean equivalent(String a, String b);

  /**
   * The notion of "the same answer" that decides correctness (verify's {@link AnswerEquivalence}):
   * "1/2", "0.5" and "\frac{1}{2}" are one vote.
   */
  AnswerGrouping EQUIVALENT = new AnswerGrouping() {
    @Override
    public String canonical(String answer) {
      return AnswerEquivalence.canonical(answer);
    }

    @Override
    public boolean equivalent(String a, String b) {
      return AnswerEquivalence.equivalent(a, b);
    }
  };

  /** Exact string grouping after trimming: what a plain Counter over answers does. */
  AnswerGrouping EXACT = new AnswerGrouping() {
    @Override
    public String canonical(String answer) {
      return answer.strip();
    }

    @Override
    public boolean equivalent(String a, String b) {
      return a.strip().equals(b.strip());
    }
  };
}
