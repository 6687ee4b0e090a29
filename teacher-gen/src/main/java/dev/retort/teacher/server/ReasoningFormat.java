package dev.retort.teacher.server;

/**
 * Where the server puts the reasoning in its answers. The default matches SGLang, the DeepSeek API
 * and DJL Serving; the others imitate vLLM 0.10+ and servers without a reasoning parser, so tests
 * can check the client against every format on a real server.
 */
public enum ReasoningFormat {
  /** {@code message.reasoning_content} + {@code message.content}. */
  REASONING_CONTENT,
  /** {@code message.reasoning} + {@code message.content} (vLLM 0.10 and later). */
  REASONING,
  /** {@code content = "<think>\n...\n</think>\n\nanswer"}. */
  THINK_TAGS,
  /** DeepSeek-R1 raw output: the template opened the think block, so content starts inside it. */
  THINK_NO_OPEN
}
