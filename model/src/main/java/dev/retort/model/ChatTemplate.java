package dev.retort.model;

/**
 * The chat format of students and teachers (Qwen's ChatML with a reasoning block):
 *
 * <pre>
 * &lt;|im_start|&gt;user\n{question}&lt;|im_end|&gt;\n&lt;|im_start|&gt;assistant\n   &lt;- prompt()
 * &lt;think&gt;\n{reasoning}\n&lt;/think&gt;\n\n{answer with \boxed{X}}&lt;|im_end|&gt;    &lt;- completion()
 * </pre>
 *
 * <p>Prompt and completion are separate strings so a trainer can encode them separately and
 * concatenate the ids: the loss mask then falls exactly on the completion's tokens.
 */
public final class ChatTemplate {
  public static final String IM_START = "<|im_start|>";
  public static final String IM_END = "<|im_end|>";
  public static final String THINK_START = "<think>";
  public static final String THINK_END = "</think>";

  /** The one template Retort uses. */
  public static final ChatTemplate QWEN = new ChatTemplate();

  private ChatTemplate() {}

  /** The text up to and including the assistant header. */
  public String prompt(String userText) {
    return IM_START + "user\n" + userText + IM_END + "\n" + IM_START + "assistant\n";
  }

  /** The assistant turn: reasoning block, answer, end token. */
  public String completion(String reasoning, String answer) {
    return THINK_START + "\n" + reasoning + "\n" + THINK_END + "\n\n" + answer + IM_END;
  }

  /** The token that ends an assistant turn; generation stops on it. */
  public String endToken() {
    return IM_END;
  }

  /** Id of {@link #endToken()} in {@code tokenizer}; the error names the token if it is absent. */
  public int endTokenId(Tokenizer tokenizer) {
    return tokenizer.requireTokenId(IM_END);
  }

  /** Reasoning and answer of a completion text; reasoning is empty when there is no think block. */
  public record Parsed(String reasoning, String answer, boolean hasThinkBlock) {}

  /** Splits generated text (end token optional) into reasoning and answer. */
  public Parsed parse(String completion) {
    String text = completion;
    int end = text.indexOf(IM_END);
    if (end >= 0) {
      text = text.substring(0, end);
    }
    int open = text.indexOf(THINK_START);
    int close = text.indexOf(THINK_END, open < 0 ? 0 : open);
    if (open < 0 || close < 0) {
      return new Parsed("", text.strip(), false);
    }
    return new Parsed(text.substring(open + THINK_START.length(), close).strip(),
        text.substring(close + THINK_END.length()).strip(), true);
  }

  /** The same format as a Jinja chat_template for tokenizer_config.json (transformers, vLLM). */
  public String jinja() {
    return "{% for message in messages %}{{'" + IM_START + "' + message['role'] + '\\n' + "
        + "message['content'] + '" + IM_END + "' + '\\n'}}{% endfor %}"
        + "{% if add_generation_prompt %}{{ '" + IM_START + "assistant\\n' }}{% endif %}";
  }
}
