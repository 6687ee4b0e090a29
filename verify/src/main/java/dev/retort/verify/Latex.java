package dev.retort.verify;

import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * String-level LaTeX normalization, applied to an extracted answer before it is tokenized.
 *
 * <p>Only rewrites that keep the meaning: presentation commands (\left, \displaystyle, spacing),
 * fraction spellings (\dfrac, \tfrac, \cfrac), explicit thousands separators ({,} and ,\!), math
 * delimiters, dollar signs and degree/percent spellings. Units, words and relations are left to
 * the parser, which knows the structure around them.
 */
final class Latex {
  private Latex() {}

  /** Command names that, after a doubled backslash, were certainly meant with one ("\\frac"). */
  private static final Set<String> COMMANDS = Set.of(
      "frac", "dfrac", "tfrac", "cfrac", "sqrt", "left", "right", "cdot", "times", "div", "pi",
      "text", "textbf", "mathrm", "mathbf", "begin", "end", "infty", "pm", "mp", "boxed", "le",
      "leq", "ge", "geq", "neq", "ne", "lt", "gt", "approx", "alpha", "beta", "gamma", "theta",
      "sin", "cos", "tan", "log", "ln", "dots", "ldots", "cdots", "cup", "cap", "in", "circ",
      "binom", "dbinom", "mbox", "quad", "qquad", "overline", "vec", "angle", "sec", "csc",
      "cot", "exp", "lfloor", "rfloor", "lceil", "rceil", "mid", "emptyset", "varnothing", "phi",
      "varphi", "omega", "lambda", "mu", "sigma", "delta", "epsilon", "rho", "tau");

  /**
   * Undoes JSON/Python escapes that ate a backslash: a form feed followed by "rac" was "\frac",
   * a tab followed by "ext" was "\text", a backspace followed by "oxed" was "\boxed".
   */
  static String restoreControlChars(String s) {
    int n = s.length();
    int i = 0;
    while (i < n) {
      char c = s.charAt(i);
      if (c < 0x20 && c != '\n' && c != ' ') {
        break;
      }
      i++;
    }
    if (i == n) {
      return s;
    }
    StringBuilder b = new StringBuilder(n + 8);
    for (int k = 0; k < n; k++) {
      char c = s.charAt(k);
      char letter = switch (c) {
        case '\t' -> 't';
        case '\f' -> 'f';
        case '\b' -> 'b';
        case '\r' -> 'r';
        case 0x0B -> 'v';
        case 0x07 -> 'a';
        default -> 0;
      };
      if (letter != 0 && k + 1 < n && Character.isLowerCase(s.charAt(k + 1))) {
        b.append('\\').append(letter);
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  /** "\\frac" (a doubly escaped command) becomes "\frac"; "\\" row breaks stay. */
  static String collapseDoubleBackslashes(String s) {
    if (!s.contains("\\\\")) {
      return s;
    }
    StringBuilder b = new StringBuilder(s.length());
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 2 < n && s.charAt(i + 1) == '\\' && (i == 0 || s.charAt(i - 1) != '\\')
          && Character.isLetter(s.charAt(i + 2)) && (i + 3 >= n || s.charAt(i + 3) != '\\')) {
        int j = i + 2;
        while (j < n && Character.isLetter(s.charAt(j))) {
          j++;
        }
        if (COMMANDS.contains(s.substring(i + 2, j))) {
          continue;
        }
      }
      b.append(c);
    }
    return b.toString();
  }

  private static final Pattern LEFT_RIGHT_DOT = Pattern.compile("\\\\(?:left|right)\\s*\\.");
  private static final Pattern SIZES = Pattern.compile(
      "\\\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|Biggl|Biggr|bigg|Bigg|big|Big|displaystyle|textstyle|limits|nolimits)(?![a-zA-Z])\\s*");
  private static final Pattern THOUSANDS_BRACE = Pattern.compile("(\\d)\\s*\\{\\s*,\\s*\\}\\s*(?=\\d)");
  private static final Pattern THOUSANDS_BANG = Pattern.compile("(\\d),\\s*\\\\!\\s*(?=\\d{3}(?!\\d))");
  private static final Pattern SPACING = Pattern.compile("(?<!\\\\)\\\\[,;: ]|\\\\q?quad|~|\\\\hspace\\{[^}]*\\}");
  private static final Pattern FRACS = Pattern.compile("\\\\[dtc]frac(?![a-zA-Z])");
  private static final Pattern BINOMS = Pattern.compile("\\\\[dt]binom(?![a-zA-Z])");
  private static final Pattern DEGREES = Pattern.compile(
      "\\^\\s*\\{\\s*\\\\circ\\s*\\}|\\^\\s*\\\\circ(?![a-zA-Z])|\\\\circ(?![a-zA-Z])|\\\\degree(?![a-zA-Z])|\\^\\s*\\{\\s*o\\s*\\}");
  private static final Pattern PMOD = Pattern.compile("\\\\pmod\\s*\\{[^{}]*\\}|\\\\pmod\\s*\\d+|\\(\\s*\\\\?mod\\s+\\d+\\s*\\)");
  private static final Pattern ENVS = Pattern.compile(
      "\\\\(?:begin|end)\\{(?:align|aligned|equation|gather|gathered|split|eqnarray|displaymath)\\*?\\}");

  /** The normalized form of an extracted answer, ready for {@link MathParser}. */
  static String clean(String answer) {
    String s = collapseDoubleBackslashes(restoreControlChars(answer));
    s = unicode(s);
    s = unwrapBoxes(s);
    s = ENVS.matcher(s).replaceAll(" ");
    s = LEFT_RIGHT_DOT.matcher(s).replaceAll("");
    s = SIZES.matcher(s).replaceAll("");
    s = THOUSANDS_BRACE.matcher(s).replaceAll("$1");
    s = THOUSANDS_BANG.matcher(s).replaceAll("$1");
    s = s.replace("\\!", "");
    s = SPACING.matcher(s).replaceAll(" ");
    s = FRACS.matcher(s).replaceAll("\\\\frac");
    s = BINOMS.matcher(s).replaceAll("\\\\binom");
    s = s.replace("\\$", " ").replace("$", " ");
    s = s.replace("\\(", " ").replace("\\)", " ").replace("\\[", " ").replace("\\]", " ");
    s = DEGREES.matcher(s).replaceAll("°");
    s = s.replace("\\%", "%");
    s = PMOD.matcher(s).replaceAll(" ");
    s = s.strip();
    while (!s.isEmpty() && (s.endsWith(".") || s.endsWith(",") || s.endsWith(";"))) {
      if (s.endsWith("...")) {
        break;
      }
      s = s.substring(0, s.length() - 1).strip();
    }
    while (s.startsWith("=") || s.startsWith(":")) {
      s = s.substring(1).strip();
    }
    return s;
  }

  /** Cheap key for the fast path: equal keys mean equal answers, no parsing needed. */
  static String light(String answer) {
    StringBuilder b = new StringBuilder(answer.length());
    int n = answer.length();
    for (int i = 0; i < n; i++) {
      char c = answer.charAt(i);
      if (Character.isWhitespace(c) || c == '$') {
        continue;
      }
      if (c == '\\' && i + 1 < n) {
        char d = answer.charAt(i + 1);
        if (d == '!' || d == ',' || d == ';' || d == ' ' || d == ':') {
          i++;
          continue;
        }
        if (answer.startsWith("left", i + 1) && !(i + 5 < n && Character.isLetter(answer.charAt(i + 5)))) {
          i += 4;
          continue;
        }
        if (answer.startsWith("right", i + 1) && !(i + 6 < n && Character.isLetter(answer.charAt(i + 6)))) {
          i += 5;
          continue;
        }
        if ((d == 'd' || d == 't') && answer.startsWith("frac", i + 2)) {
          b.append("\\frac");
          i += 5;
          continue;
        }
      }
      b.append(c);
    }
    int len = b.length();
    while (len > 0 && b.charAt(len - 1) == '.') {
      len--;
    }
    b.setLength(len);
    return b.toString();
  }

  /** "√51" means the root of 51, not LaTeX's one-digit argument (√5 times 1). */
  private static final Pattern ROOT_OF_NUMBER = Pattern.compile("√\\s*(\\d+(?:\\.\\d+)?)");

  private static String unicode(String s) {
    boolean any = false;
    for (int i = 0; i < s.length() && !any; i++) {
      any = s.charAt(i) > 0x7F;
    }
    if (!any) {
      return s;
    }
    s = ROOT_OF_NUMBER.matcher(s).replaceAll("\\\\sqrt{$1}");
    return s.replace('−', '-').replace('–', '-').replace("×", "\\times ").replace("÷", "\\div ")
        .replace("·", "\\cdot ").replace("⋅", "\\cdot ").replace("≤", "\\le ").replace("≥", "\\ge ")
        .replace("≠", "\\ne ").replace("≈", "\\approx ").replace("∞", "\\infty ").replace("π", "\\pi ")
        .replace("√", "\\sqrt ").replace("²", "^2").replace("³", "^3").replace("∪", "\\cup ")
        .replace("∩", "\\cap ").replace("∈", "\\in ").replace("±", "\\pm ").replace("∓", "\\mp ")
        .replace("º", "°").replace("€", " ").replace("£", " ").replace("¥", " ").replace("₹", " ")
        .replace(' ', ' ').replace(' ', ' ').replace(' ', ' ');
  }

  /** "\boxed{x}" and "\fbox{x}" anywhere become "x". */
  static String unwrapBoxes(String s) {
    int guard = 0;
    while (guard++ < 20) {
      int at = s.indexOf("\\boxed");
      int len = 6;
      if (at < 0) {
        at = s.indexOf("\\fbox");
        len = 5;
      }
      if (at < 0) {
        return s;
      }
      int open = at + len;
      while (open < s.length() && s.charAt(open) == ' ') {
        open++;
      }
      if (open < s.length() && s.charAt(open) == '{') {
        int close = AnswerExtractor.matchBrace(s, open);
        if (close < 0) {
          return s.substring(0, at) + s.substring(open + 1);
        }
        s = s.substring(0, at) + s.substring(open + 1, close) + s.substring(close + 1);
      } else {
        s = s.substring(0, at) + s.substring(open);
      }
    }
    return s;
  }

  private static final Pattern THOUSANDS_COMMA = Pattern.compile("([-+]?)([1-9]\\d{0,2}(?:,\\d{3})+)(\\.\\d+)?(\\s*%)?");
  private static final Pattern THOUSANDS_SPACE = Pattern.compile("([-+]?)([1-9]\\d{0,2}(?: \\d{3})+)(\\.\\d+)?(\\s*%)?");
  private static final Pattern DECIMAL_COMMA = Pattern.compile("([-+]?)(\\d+),(\\d+)(\\s*%)?");

  /**
   * The reading of a whole answer as one number written with separators, or null: "7,425,000"
   * and "1 000" (thousands), "1,22" and "0,111" (decimal comma). Whether this reading or the list
   * reading ("1, 22") applies is decided against the other answer (see {@link MathVerifier}).
   */
  static String numericReading(String cleaned) {
    String s = cleaned.strip();
    Matcher m = THOUSANDS_COMMA.matcher(s);
    if (m.matches()) {
      return m.group(1) + m.group(2).replace(",", "") + nz(m.group(3)) + nz(m.group(4));
    }
    m = THOUSANDS_SPACE.matcher(s);
    if (m.matches()) {
      return m.group(1) + m.group(2).replace(" ", "") + nz(m.group(3)) + nz(m.group(4));
    }
    m = DECIMAL_COMMA.matcher(s);
    if (m.matches()) {
      return m.group(1) + m.group(2) + "." + m.group(3) + nz(m.group(4));
    }
    return null;
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }
}
