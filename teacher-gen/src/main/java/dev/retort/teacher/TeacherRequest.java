package dev.retort.teacher;

import dev.retort.model.ChatMessage;

import dev.retort.core.data.SamplingParams;
import java.util.List;
import java.util.Objects;

/**
 * One chat completion request to a teacher.
 *
 * @param id caller's label for logs and errors (e.g. {@code promptId#sample}); never sent as data
 * @param messages the conversation; for distillation a single user turn
 * @param sampling temperature, top-p, top-k (0 = off, not sent), max tokens and seed (null = none)
 * @param n samples to return for this request (OpenAI {@code n}); each is one {@link Choice}
 * @param stop extra stop strings (may be empty)
 */
public record TeacherRequest(String id, List<ChatMessage> messages, SamplingParams sampling, int n, List<String> stop) {
  public TeacherRequest {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(sampling, "sampling");
    if (messages == null || messages.isEmpty()) {
      throw new IllegalArgumentException("a teacher request needs at least one message");
    }
    if (n < 1) {
      throw new IllegalArgumentException("n must be >= 1, got " + n);
    }
    messages = List.copyOf(messages);
    stop = stop == null ? List.of() : List.copyOf(stop);
  }

  public static TeacherRequest of(String id, String userText, SamplingParams sampling) {
    return new TeacherRequest(id, List.of(ChatMessage.user(userText)), sampling, 1, List.of());
  }
}
