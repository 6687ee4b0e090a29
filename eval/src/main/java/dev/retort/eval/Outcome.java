package dev.retort.eval;

import dev.retort.core.data.EvalSample;

/**
 * What the metrics need of one sample: the {@code eval metrics} input row, or a projection of an
 * {@link EvalSample}.
 *
 * @param problemId the problem's id; samples of one problem share it
 * @param sampleIndex 0..n-1; maj@k votes over the k samples with the lowest indices
 * @param answer the extracted final answer; null or blank means "no answer" (never wins a vote)
 * @param correct whether the verifier accepted the answer
 * @param completionTokens response length in tokens, or null when the input does not say
 */
public record Outcome(String problemId, int sampleIndex, String answer, boolean correct, Integer completionTokens) {
  public Outcome {
    if (problemId == null) {
      throw new IllegalArgumentException("problem_id is required");
    }
    if (sampleIndex < 0) {
      throw new IllegalArgumentException("sample_index must be >= 0, got " + sampleIndex + " for problem " + problemId);
    }
  }

  public boolean hasAnswer() {
    return answer != null && !answer.isBlank();
  }

  public static Outcome of(EvalSample s) {
    return new Outcome(s.problemId(), s.sampleIndex(), s.extracted(), s.correct(), s.completionTokens());
  }
}
