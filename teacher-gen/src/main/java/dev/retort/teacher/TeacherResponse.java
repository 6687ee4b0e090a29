package dev.retort.teacher;

import java.util.List;

/**
 * A successful answer to a {@link TeacherRequest}.
 *
 * @param choices n choices in index order
 * @param promptTokens prompt tokens as reported by the server (usage)
 * @param completionTokens completion tokens of all choices together (usage)
 * @param latencyMs wall time from the first attempt to the answer, including retries and backoff
 * @param attempts how many HTTP attempts it took (1 = no retry)
 * @param endpoint which endpoint answered (base URL), or "local" for in-process teachers
 */
public record TeacherResponse(List<Choice> choices, int promptTokens, int completionTokens, long latencyMs,
    int attempts, String endpoint) {
  public TeacherResponse {
    choices = List.copyOf(choices);
  }
}
