package dev.retort.model;

/**
 * One generated continuation.
 *
 * @param tokens the generated ids (prompt excluded); a stop token that ended the row is the last
 * @param text decoded tokens without the ending stop token and cut before a matched stop string
 *     (special tokens such as {@code <think>} kept); null when the sampler has no tokenizer
 * @param finishReason {@link #STOP} (stop token or string) or {@link #LENGTH} (max_new_tokens)
 * @param promptTokens length of the prompt
 */
public record Generation(int[] tokens, String text, String finishReason, int promptTokens) {
  public static final String STOP = "stop";
  public static final String LENGTH = "length";

  public int completionTokens() {
    return tokens.length;
  }
}
