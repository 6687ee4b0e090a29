package dev.retort.model;

import java.util.Objects;

/**
 * One chat turn as the OpenAI chat API and chat templates carry it: role ("system", "user",
 * "assistant") and text. Assistant content may hold a {@code <think>} block.
 */
public record ChatMessage(String role, String content) {
  public ChatMessage {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(content, "content");
  }

  public static ChatMessage user(String content) {
    return new ChatMessage("user", content);
  }

  public static ChatMessage system(String content) {
    return new ChatMessage("system", content);
  }

  public static ChatMessage assistant(String content) {
    return new ChatMessage("assistant", content);
  }
}
