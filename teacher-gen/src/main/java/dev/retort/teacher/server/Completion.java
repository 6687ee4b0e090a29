package dev.retort.teacher.server;

/**
 * One generated sample, split into reasoning and answer.
 *
 * @param finishReason "stop" or "length"
 */
public record Completion(String reasoning, String answer, String finishReason, int promptTokens, int completionTokens) {
  public Completion {
    reasoning = reasoning == null ? "" : reasoning;
    answer = answer == null ? "" : answer;
  }
}
