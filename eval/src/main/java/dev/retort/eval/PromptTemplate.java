package dev.retort.eval;

import dev.retort.core.data.Completions;

/**
 * The user turn a benchmark problem becomes. {@code {problem}} marks where the problem goes; the
 * names {@code r1} and {@code plain} save writing a backslash-escaped template in HOCON.
 *
 * @param text the template with its {@code {problem}} placeholder
 */
public record PromptTemplate(String text) {
  public static final String PLACEHOLDER = "{problem}";
  /** DeepSeek-R1's recommended math prompt: the problem, then its suffix on a new line. */
  public static final PromptTemplate R1 = new PromptTemplate(PLACEHOLDER + "\n" + Completions.MATH_SUFFIX);
  public static final PromptTemplate PLAIN = new PromptTemplate(PLACEHOLDER);

  public PromptTemplate {
    if (text == null || !text.contains(PLACEHOLDER)) {
      throw new IllegalArgumentException("template must contain " + PLACEHOLDER + " (or be r1 or plain), got '" + text + "'");
    }
  }

  /** A named template ({@code r1}, {@code plain}) or a literal one. */
  public static PromptTemplate of(String nameOrText) {
    if ("r1".equals(nameOrText)) {
      return R1;
    }
    if ("plain".equals(nameOrText)) {
      return PLAIN;
    }
    return new PromptTemplate(nameOrText);
  }

  public String render(String problem) {
    return text.replace(PLACEHOLDER, problem);
  }
}
