package dev.retort.teacher;

import java.util.Objects;

/** One chat turn as the OpenAI chat API carries it: role ("system", "user", "assistant") and text. */
public record ChatMessage(String role, String content) {
  public ChatMessage {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(content, "content");
  }

  public static ChatMessage user(String content) {
    return new ChatMessage("user", content);
  }
}
