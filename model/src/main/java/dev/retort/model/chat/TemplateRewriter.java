package dev.retort.model.chat;

/**
 * Source rewrites where Jinjava's parser reads Jinja2 syntax differently. Only the insides of
 * {@code {{ }}} and {@code {% %}} change (never string literals), plus the spaces lstrip_blocks
 * removes from the text:
 * <ul>
 *   <li>Slices: Jinjava parses {@code x[a:b]} but not a step ({@code x[::-1]}), and its string
 *       slices ignore negative bounds. Every slice becomes {@code __py_slice(x, a, b, c)} (missing
 *       parts are {@code none}), where {@code x} is the primary expression the subscript follows
 *       (names, dots, calls, subscripts, a parenthesized expression, a string literal).</li>
 *   <li>Logical {@code not}: its operand is parenthesized up to the next and/or/if/else (Jinja2's
 *       {@code not} binds looser than comparisons, JUEL's tighter).</li>
 *   <li>Keyword arguments with operators get parentheses: {@code f(a=x|length - 1)}.</li>
 *   <li>lstrip_blocks as jinja2 applies it (only spaces and tabs from the start of a line up to
 *       <code>&#123;%</code> or <code>&#123;#</code>, not after text on the same line); <code>&#123;%+</code> keeps them.</li>
 *   <li><code>&#125;&#125;</code> inside an expression (nested dict literals) is split so it does not end the
 *       {@code {{ }}} early.</li>
 * </ul>
 * Macro and call definitions are left as they are. As jinja2's lexer does, newlines become
 * {@code \n} and one trailing newline of the template is dropped.
 */
final class TemplateRewriter {
  private TemplateRewriter() {}

  static final String SLICE_FUNCTION = "__py_slice";

  static String rewrite(String template) {
    // jinja2's lexer: newlines normalized to \n, and one trailing newline dropped
    // (keep_trailing_newline=False).
    String src = template.replace("\r\n", "\n").replace('\r', '\n');
    if (src.endsWith("\n")) {
      src = src.substring(0, src.length() - 1);
    }
    StringBuilder out = new StringBuilder(src.length() + 64);
    int i = 0;
    int n = src.length();
    boolean atLineStart = true;
    while (i < n) {
      int open = nextOpen(src, i);
      if (open < 0) {
        out.append(src, i, n);
        break;
      }
      char kind = src.charAt(open + 1);
      appendText(out, src.substring(i, open), atLineStart, kind != '{' ? src.charAt(Math.min(open + 2, n - 1)) : 0);
      atLineStart = false;
      if (kind == '#') {
        int close = src.indexOf("#}", open + 2);
        int end = close < 0 ? n : close + 2;
        out.append(src, open, end);
        i = end;
        continue;
      }
      String closer = kind == '{' ? "}}" : "%}";
      int close = findClose(src, open + 2, closer);
      if (close < 0) {
        out.append(src, open, n);
        break;
      }
      if (kind == '%' && isRawStart(src, open + 2, close)) {
        int endRaw = src.indexOf("endraw", close);
        int end = endRaw < 0 ? n : Math.max(close + 2, src.indexOf("%}", endRaw) + 2);
        out.append(src, open, end);
        i = end;
        continue;
      }
      String body = src.substring(open + 2, close);
      int lead = body.startsWith("-") || body.startsWith("+") ? 1 : 0;
      int trail = body.length() > lead && (body.endsWith("-") || body.endsWith("+")) ? 1 : 0;
      // "+" (keep whitespace) is handled here; Jinjava knows only "-".
      out.append(src, open, open + 2).append(body.startsWith("-") ? "-" : "");
      String inner = body.substring(lead, body.length() - trail);
      boolean definition = inner.strip().startsWith("macro ") || inner.strip().startsWith("call");
      String expr = definition ? inner : wrapNot(rewriteExpression(inner));
      out.append(separateClosingBraces(expr));
      out.append(body.endsWith("-") && trail == 1 ? "-" : "").append(closer);
      i = close + 2;
    }
    return out.toString();
  }

  /**
   * Template text before a tag, with jinja2's lstrip_blocks applied: spaces and tabs from the
   * start of a line up to a block or comment tag are removed, unless the tag opens with "+".
   * (Jinjava's own lstrip removes whitespace before a tag even when text precedes it on the line.)
   */
  private static void appendText(StringBuilder out, String text, boolean atLineStart, char tagModifier) {
    if (tagModifier == 0 || tagModifier == '+') {
      out.append(text);
      return;
    }
    int nl = text.lastIndexOf('\n');
    if (nl < 0 && !atLineStart) {
      out.append(text);
      return;
    }
    String tail = text.substring(nl + 1);
    if (tail.chars().allMatch(c -> c == ' ' || c == '\t')) {
      out.append(text, 0, nl + 1);
    } else {
      out.append(text);
    }
  }

  /** "}}" inside an expression (nested dict literals) would end Jinjava's {{ }} early. */
  private static String separateClosingBraces(String e) {
    StringBuilder sb = new StringBuilder(e.length());
    int i = 0;
    while (i < e.length()) {
      char c = e.charAt(i);
      if (c == '\'' || c == '"') {
        int end = skipString(e, i);
        sb.append(e, i, end);
        i = end;
        continue;
      }
      sb.append(c);
      if (c == '}' && i + 1 < e.length() && e.charAt(i + 1) == '}') {
        sb.append(' ');
      }
      i++;
    }
    return sb.toString();
  }

  private static boolean isRawStart(String src, int from, int to) {
    String body = src.substring(from, to).replace("-", "").replace("+", "").trim();
    return body.equals("raw");
  }

  private static int nextOpen(String s, int from) {
    int k = from;
    while (true) {
      k = s.indexOf('{', k);
      if (k < 0 || k + 1 >= s.length()) {
        return -1;
      }
      char c = s.charAt(k + 1);
      if (c == '{' || c == '%' || c == '#') {
        return k;
      }
      k++;
    }
  }

  /** Index of the closing delimiter, skipping string literals and balanced braces inside the tag. */
  private static int findClose(String s, int from, String closer) {
    int i = from;
    int depth = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == '\'' || c == '"') {
        i = skipString(s, i);
        continue;
      }
      if (depth == 0 && s.startsWith(closer, i)) {
        return i;
      }
      if (c == '{') {
        depth++;
      } else if (c == '}' && depth > 0) {
        depth--;
      }
      i++;
    }
    return -1;
  }

  /** Index just after the string literal starting at i. */
  private static int skipString(String s, int i) {
    char q = s.charAt(i);
    int k = i + 1;
    while (k < s.length()) {
      char c = s.charAt(k);
      if (c == '\\') {
        k += 2;
        continue;
      }
      if (c == q) {
        return k + 1;
      }
      k++;
    }
    return s.length();
  }

  /** Rewrites slices in one tag's body, innermost first by recursion on the pieces. */
  static String rewriteExpression(String e) {
    int i = 0;
    while (i < e.length()) {
      char c = e.charAt(i);
      if (c == '\'' || c == '"') {
        i = skipString(e, i);
        continue;
      }
      if (c == '(' && followsOperand(e, i)) {
        int close = matching(e, i);
        if (close < 0) {
          return e;
        }
        String args = e.substring(i + 1, close);
        String wrapped = wrapKeywordArguments(args);
        if (!wrapped.equals(args)) {
          e = e.substring(0, i + 1) + wrapped + e.substring(close);
        }
      }
      if (c == '[' && followsOperand(e, i)) {
        int close = matching(e, i);
        if (close < 0) {
          return e;
        }
        String inner = e.substring(i + 1, close);
        java.util.List<String> parts = splitTopLevel(inner, ':');
        if (parts.size() >= 2 && parts.size() <= 3) {
          int start = primaryStart(e, i);
          String base = e.substring(start, i);
          StringBuilder call = new StringBuilder(SLICE_FUNCTION).append('(').append(rewriteExpression(base));
          for (int p = 0; p < 3; p++) {
            String part = p < parts.size() ? parts.get(p).trim() : "";
            call.append(", ").append(part.isEmpty() ? "none" : rewriteExpression(part));
          }
          call.append(')');
          String rewritten = e.substring(0, start) + call + e.substring(close + 1);
          return rewriteExpression(rewritten);
        }
      }
      i++;
    }
    return e;
  }

  /**
   * Parenthesizes the operand of a logical {@code not}: Jinja2's {@code not} binds looser than
   * comparisons and tests ({@code not a|length == 1} is {@code not (a|length == 1)}), JUEL's
   * binds tighter. The operand ends at the next {@code and}, {@code or}, {@code if},
   * {@code else}, comma or closing bracket of the same depth. {@code not in} and {@code is not}
   * are operators, not logical not, and stay as they are.
   */
  static String wrapNot(String e) {
    int i = 0;
    while (i < e.length()) {
      char c = e.charAt(i);
      if (c == '\'' || c == '"') {
        i = skipString(e, i);
        continue;
      }
      if (isWordAt(e, i, "not") && !"is".equals(previousWord(e, i)) && !isWordAt(e, skipSpaces(e, i + 3), "in")) {
        int from = i + 3;
        int end = operandEnd(e, from);
        String operand = e.substring(from, end);
        if (!operand.isBlank()) {
          String wrapped = " (" + wrapNot(operand.strip()) + ")" + (operand.endsWith(" ") ? " " : "");
          e = e.substring(0, from) + wrapped + e.substring(end);
          i = from;
          i += wrapped.length();
          continue;
        }
      }
      i++;
    }
    return e;
  }

  private static boolean isWordAt(String e, int i, String word) {
    if (i < 0 || !e.startsWith(word, i)) {
      return false;
    }
    boolean before = i == 0 || !isIdent(e.charAt(i - 1)) && e.charAt(i - 1) != '.';
    int after = i + word.length();
    return before && (after >= e.length() || !isIdent(e.charAt(after)));
  }

  private static boolean isIdent(char c) {
    return Character.isLetterOrDigit(c) || c == '_';
  }

  private static int skipSpaces(String e, int i) {
    while (i < e.length() && Character.isWhitespace(e.charAt(i))) {
      i++;
    }
    return i;
  }

  private static String previousWord(String e, int i) {
    int k = i - 1;
    while (k >= 0 && Character.isWhitespace(e.charAt(k))) {
      k--;
    }
    int end = k + 1;
    while (k >= 0 && isIdent(e.charAt(k))) {
      k--;
    }
    return e.substring(k + 1, end);
  }

  private static int operandEnd(String e, int from) {
    int depth = 0;
    int i = from;
    while (i < e.length()) {
      char c = e.charAt(i);
      if (c == '\'' || c == '"') {
        i = skipString(e, i);
        continue;
      }
      if (c == '(' || c == '[' || c == '{') {
        depth++;
      } else if (c == ')' || c == ']' || c == '}') {
        if (depth == 0) {
          return i;
        }
        depth--;
      } else if (depth == 0 && (c == ',' || isWordAt(e, i, "and") || isWordAt(e, i, "or") || isWordAt(e, i, "if")
          || isWordAt(e, i, "else"))) {
        return i;
      }
      i++;
    }
    return i;
  }

  private static final java.util.regex.Pattern KEYWORD =
      java.util.regex.Pattern.compile("^(\\s*[A-Za-z_][A-Za-z0-9_]*\\s*=)(?!=)(.*)$", java.util.regex.Pattern.DOTALL);

  /**
   * Parenthesizes keyword-argument values, {@code f(a=x|length - 1)} to {@code f(a=(x|length - 1))}:
   * in Jinja2 the whole expression is the value, Jinjava's parser binds {@code a=x} first.
   */
  private static String wrapKeywordArguments(String args) {
    java.util.List<String> parts = splitTopLevel(args, ',');
    StringBuilder sb = new StringBuilder();
    for (int p = 0; p < parts.size(); p++) {
      if (p > 0) {
        sb.append(',');
      }
      String part = parts.get(p);
      java.util.regex.Matcher m = KEYWORD.matcher(part);
      String value = m.matches() ? m.group(2).strip() : "";
      if (m.matches() && hasOperator(value) && !(value.startsWith("(") && matching(value, 0) == value.length() - 1)) {
        sb.append(m.group(1)).append('(').append(value).append(')');
      } else {
        sb.append(part);
      }
    }
    return sb.toString();
  }

  /** Whether an expression has an operator or filter outside string literals (a=x|length - 1). */
  private static boolean hasOperator(String v) {
    int i = 0;
    while (i < v.length()) {
      char c = v.charAt(i);
      if (c == '\'' || c == '"') {
        i = skipString(v, i);
        continue;
      }
      if ("|+-*/%~<>=! ".indexOf(c) >= 0) {
        return true;
      }
      i++;
    }
    return false;
  }

  private static boolean followsOperand(String e, int i) {
    int k = i - 1;
    if (k < 0) {
      return false;
    }
    char p = e.charAt(k);
    return Character.isLetterOrDigit(p) || p == '_' || p == ')' || p == ']' || p == '\'' || p == '"';
  }

  private static int matching(String e, int open) {
    int depth = 0;
    int i = open;
    while (i < e.length()) {
      char c = e.charAt(i);
      if (c == '\'' || c == '"') {
        i = skipString(e, i);
        continue;
      }
      if (c == '[' || c == '(' || c == '{') {
        depth++;
      } else if (c == ']' || c == ')' || c == '}') {
        depth--;
        if (depth == 0) {
          return i;
        }
      }
      i++;
    }
    return -1;
  }

  private static java.util.List<String> splitTopLevel(String s, char sep) {
    java.util.List<String> parts = new java.util.ArrayList<>();
    int depth = 0;
    int last = 0;
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == '\'' || c == '"') {
        i = skipString(s, i);
        continue;
      }
      if (c == '[' || c == '(' || c == '{') {
        depth++;
      } else if (c == ']' || c == ')' || c == '}') {
        depth--;
      } else if (c == sep && depth == 0) {
        parts.add(s.substring(last, i));
        last = i + 1;
      }
      i++;
    }
    parts.add(s.substring(last));
    return parts;
  }

  /** Start of the primary expression (name.attr(call)[sub]...) that ends just before index end. */
  private static int primaryStart(String e, int end) {
    int k = end - 1;
    while (k >= 0) {
      char c = e.charAt(k);
      if (c == ')' || c == ']') {
        k = matchingBack(e, k) - 1;
      } else if (c == '\'' || c == '"') {
        int q = e.lastIndexOf(c, k - 1);
        k = q - 1;
      } else if (Character.isLetterOrDigit(c) || c == '_' || c == '.') {
        k--;
      } else {
        break;
      }
    }
    return k + 1;
  }

  private static int matchingBack(String e, int close) {
    int depth = 0;
    for (int i = close; i >= 0; i--) {
      char c = e.charAt(i);
      if (c == ']' || c == ')' || c == '}') {
        depth++;
      } else if (c == '[' || c == '(' || c == '{') {
        depth--;
        if (depth == 0) {
          return i;
        }
      }
    }
    return 0;
  }
}
