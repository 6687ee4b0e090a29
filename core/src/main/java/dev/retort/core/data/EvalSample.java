package dev.retort.core.data;

/**
 * One sampled response of one model on one benchmark problem.
 *
 * @param model the evaluated model's name (e.g. "teacher", "student")
 * @param benchmark the benchmark name
 * @param problemId the problem's id within the benchmark
 * @param sampleIndex 0..k-1
 * @param response the full model output
 * @param extracted the extracted final answer (null when none)
 * @param correct whether it matched the reference
 * @param completionTokens tokens generated
 * @param finishReason "stop" or "length" (or "error")
 * @param reference the gold answer
 */
public record EvalSample(
    String model,
    String benchmark,
    String problemId,
    int sampleIndex,
    String response,
    String extracted,
    boolean correct,
    int completionTokens,
    String finishReason,
    String reference) {

  public String key() {
    return model + "|" + benchmark + "|" + problemId + "#" + sampleIndex;
  }
}
