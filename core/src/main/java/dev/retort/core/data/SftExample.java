package dev.retort.core.data;

import java.util.List;

/**
 * One supervised fine-tuning example: the filter's SFT-ready view, read by student-train and by
 * external trainers (TRL's prompt/completion and messages formats both work on these columns).
 *
 * @param prompt the user turn as the teacher saw it (problem plus the prompt suffix)
 * @param completion the assistant turn in Retort's format: {@code <think>\n...\n</think>\n\nanswer}
 * @param messages the same as a chat: [{role: user, content: prompt}, {role: assistant, content: completion}]
 */
public record SftExample(String promptId, int sampleIndex, String source, String prompt, String reasoning,
    String answer, String completion, List<Message> messages) {
  public record Message(String role, String content) {}

  public static SftExample of(String promptId, int sampleIndex, String source, String prompt, String reasoning, String answer) {
    String completion = Completions.compose(reasoning, answer);
    return new SftExample(promptId, sampleIndex, source, prompt, reasoning, answer, completion,
        List.of(new Message("user", prompt), new Message("assistant", completion)));
  }
}
