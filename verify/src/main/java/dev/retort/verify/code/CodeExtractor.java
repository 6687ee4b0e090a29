package dev.retort.verify.code;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the code a response submits: its final fenced code block (after {@code </think>} when the
 * response has one), with the language of its fence.
 */
public final class CodeExtractor {
  private static final Pattern FENCE = Pattern.compile("(?m)^[ \\t]*(`{3,}|~{3,})[ \\t]*([A-Za-z0-9_+#.-]*)[^\\n]*\\n");

  /** A code block: its language ("" when the fence names none, lower-case otherwise) and source. */
  public record Code(String language, String source) {}

  private CodeExtractor() {}

  /** The final complete fenced block; empty when there is none or the think block never closes. */
  public static Optional<Code> extract(String response) {
    if (response == null) {
      return Optional.empty();
    }
    String text = response;
    int open = text.indexOf("<think>");
    int close = text.lastIndexOf("</think>");
    if (close >= 0) {
      text = text.substring(close + "</think>".length());
    } else if (open >= 0) {
      return Optional.empty();
    }
    Code last = null;
    Matcher m = FENCE.matcher(text);
    int from = 0;
    while (from < text.length() && m.find(from)) {
      String fence = m.group(1);
      int bodyStart = m.end();
      Pattern closing = Pattern.compile("(?m)^[ \\t]*" + Pattern.quote(fence.substring(0, 1)) + "{" + fence.length() + ",}[ \\t]*$");
      Matcher c = closing.matcher(text);
      if (!c.find(bodyStart)) {
        break; // an unclosed fence: the response was cut off inside it
      }
      String body = text.substring(bodyStart, c.start());
      last = new Code(m.group(2).toLowerCase(Locale.ROOT), body);
      from = c.end();
    }
    return Optional.ofNullable(last);
  }

  /** Whether a fence's language is Python (or unnamed, taken as Python). */
  public static boolean isPython(String language) {
    return language.isEmpty() || language.equals("python") || language.equals("py") || language.equals("python3");
  }
}
