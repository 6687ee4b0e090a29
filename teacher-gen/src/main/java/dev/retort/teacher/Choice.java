package dev.retort.teacher;

/**
 * One sampled completion, already split into Retort's two parts.
 *
 * @param index position in the response (0..n-1)
 * @param reasoning the thinking text: from {@code message.reasoning}, {@code message.reasoning_content}
 *     or the {@code <think>} block of the content; empty when the model gave none
 * @param answer the text after the reasoning
 * @param finishReason "stop" or "length" as the server reported it
 * @param completionTokens tokens of this choice (the server's total divided by n when it reports only a total)
 */
public record Choice(int index, String reasoning, String answer, String finishReason, int completionTokens) {
  public Choice {
    reasoning = reasoning == null ? "" : reasoning;
    answer = answer == null ? "" : answer;
    finishReason = finishReason == null ? "stop" : finishReason;
  }
}
