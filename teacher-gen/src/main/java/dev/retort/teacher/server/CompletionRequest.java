package dev.retort.teacher.server;

import dev.retort.core.data.SamplingParams;
import dev.retort.model.ChatMessage;
import java.util.List;

/**
 * One sample to generate: the server expands a request with {@code n = k} into k of these, with
 * seeds {@code seed, seed + 1, ...}, so that a backend only ever produces one completion per entry.
 */
public record CompletionRequest(List<ChatMessage> messages, SamplingParams sampling, List<String> stop) {
  public CompletionRequest {
    messages = List.copyOf(messages);
    stop = stop == null ? List.of() : List.copyOf(stop);
  }

  /** The last user turn: what a single-turn backend answers. */
  public String userText() {
    for (int i = messages.size() - 1; i >= 0; i--) {
      if (messages.get(i).role().equals("user")) {
        return messages.get(i).content();
      }
    }
    return messages.get(messages.size() - 1).content();
  }
}
