package dev.retort.core.data;

/**
 * Retort's completion text format (DESIGN.md): {@code <think>\nreasoning\n</think>\n\nanswer}.
 * One place to compose and split it, so the teacher client, the filter and the trainers agree.
 */
public final class Completions {
  public static final String THINK_OPEN = "<think>";
  public static final String THINK_CLOSE = "</think>";
  /** DeepSeek-R1's prompt suffix for math. */
  public static final String MATH_SUFFIX = "Please reason step by step, and put your final answer within \\boxed{}.";

  private Completions() {}

  public static String compose(String reasoning, String answer) {
    String r = reasoning == null ? "" : reasoning.strip();
    String a = answer == null ? "" : answer.strip();
    return THINK_OPEN + "\n" + r + "\n" + THINK_CLOSE + "\n\n" + a;
  }

  /**
   * Splits a raw completion into reasoning and answer. Accepts R1's output that lacks the opening
   * tag (the chat template already emitted it). Without a closing tag the reasoning is unclosed:
   * reasoning is null and the whole text is returned as the answer, so callers can tell.
   */
  public static Parts split(String text) {
    if (text == null) {
      return new Parts(null, "", false);
    }
    int close = text.indexOf(THINK_CLOSE);
    if (close < 0) {
      boolean opened = text.stripLeading().startsWith(THINK_OPEN);
      return new Parts(null, opened ? text.stripLeading().substring(THINK_OPEN.length()).strip() : text.strip(), opened);
    }
    int open = text.lastIndexOf(THINK_OPEN, close);
    String reasoning = text.substring(open < 0 ? 0 : open + THINK_OPEN.length(), close).strip();
    String answer = text.substring(close + THINK_CLOSE.length()).strip();
    return new Parts(reasoning, answer, false);
  }

  /**
   * @param reasoning null when no closed think block was found
   * @param unclosed true when a think block was opened and never closed (truncated reasoning)
   */
  public record Parts(String reasoning, String answer, boolean unclosed) {
    public boolean hasReasoning() {
      return reasoning != null;
    }
  }
}
