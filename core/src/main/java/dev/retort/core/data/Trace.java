package dev.retort.core.data;

/**
 * One teacher sample for one prompt: the trace contract. The prompt's problem and reference are
 * carried along (denormalized) so that the filter and external trainers need only this table.
 *
 * @param promptId the prompt's id; (promptId, sampleIndex) is unique in a traces folder
 * @param sampleIndex 0..N-1
 * @param teacherId the model that produced it (served model name or checkpoint id)
 * @param sampling the sampling parameters actually sent
 * @param reasoning the text inside {@code <think>...</think>} (empty when the model gave none)
 * @param answer the text after the reasoning (the final answer with its \boxed{})
 * @param finishReason "stop", "length", or "error"
 * @param latencyMs wall time of the request that produced it, including retries
 * @param error null on success; otherwise why the request failed (goes to the errors output)
 */
public record Trace(
    String promptId,
    int sampleIndex,
    String teacherId,
    String source,
    String problem,
    String referenceAnswer,
    AnswerType answerType,
    SamplingParams sampling,
    String reasoning,
    String answer,
    String finishReason,
    int promptTokens,
    int completionTokens,
    long latencyMs,
    String error) {

  /** The model output in Retort's text format: {@code <think>\n...\n</think>\n\nanswer}. */
  public String completion() {
    return Completions.compose(reasoning, answer);
  }

  public boolean failed() {
    return error != null;
  }

  /** The (prompt, sample) key that makes generation exactly-once. */
  public String key() {
    return promptId + "#" + sampleIndex;
  }
}
