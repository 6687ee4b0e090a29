package dev.retort.teacher;

import com.fasterxml.jackson.databind.JsonNode;
import dev.retort.core.data.Completions;

/**
 * Reads the reasoning and the answer out of an OpenAI chat {@code message}, whichever way the
 * server returns them:
 * <ul>
 *   <li>{@code message.reasoning}: vLLM 0.10 and later with a reasoning parser;
 *   <li>{@code message.reasoning_content}: SGLang, the DeepSeek API, DJL Serving, older vLLM;
 *   <li>a {@code <think>...</think>} block in {@code content} (servers without a reasoning parser),
 *       including DeepSeek-R1's output that lacks the opening tag because the chat template
 *       already emitted it.
 * </ul>
 * A think block that was opened and never closed (the budget ran out while thinking) is all
 * reasoning and no answer, so the filter sees an empty answer rather than half a thought.
 */
public final class ReasoningParser {
  private ReasoningParser() {}

  /** The two parts of one completion; both non-null. */
  public record Parts(String reasoning, String answer) {}

  public static Parts parse(JsonNode message) {
    String content = text(message, "content");
    String reasoning = text(message, "reasoning");
    if (reasoning == null) {
      reasoning = text(message, "reasoning_content");
    }
    if (reasoning != null) {
      // A server with a reasoning parser may still leave a stray closing tag in content.
      String answer = content == null ? "" : content;
      int close = answer.indexOf(Completions.THINK_CLOSE);
      if (close >= 0) {
        answer = answer.substring(close + Completions.THINK_CLOSE.length());
      }
      return new Parts(reasoning.strip(), answer.strip());
    }
    return parseContent(content);
  }

  /** Splits raw model text (no reasoning field): think tags, R1's missing opening tag, or none. */
  public static Parts parseContent(String content) {
    if (content == null) {
      return new Parts("", "");
    }
    Completions.Parts p = Completions.split(content);
    if (p.hasReasoning()) {
      return new Parts(p.reasoning(), p.answer());
    }
    if (p.unclosed()) {
      return new Parts(p.answer(), "");
    }
    return new Parts("", p.answer());
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node == null ? null : node.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }
}
