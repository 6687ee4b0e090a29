package dev.retort.verify;

import dev.retort.verify.Ans.Group;
import dev.retort.verify.Ans.Matrix;
import dev.retort.verify.Ans.Rel;
import dev.retort.verify.Ans.Scalar;
import dev.retort.verify.Ans.Text;
import dev.retort.verify.Ans.Union;
import dev.retort.verify.Expr.Add;
import dev.retort.verify.Expr.Const;
import dev.retort.verify.Expr.Deg;
import dev.retort.verify.Expr.Div;
import dev.retort.verify.Expr.Fn;
import dev.retort.verify.Expr.Lit;
import dev.retort.verify.Expr.Mul;
import dev.retort.verify.Expr.Pct;
import dev.retort.verify.Expr.PlusMinus;
import dev.retort.verify.Expr.Pow;
import dev.retort.verify.Expr.Sym;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Parses a cleaned answer ({@link Latex#clean}) into an {@link Ans}.
 *
 * <p>Design choices:
 * <ul>
 *   <li>LaTeX argument rules where they matter: {@code \frac34} is 3/4 and {@code \sqrt3x} is
 *       sqrt(3)*x (one digit per bare argument), but {@code 2^10} keeps its whole exponent since
 *       models write plain-text powers.</li>
 *   <li>A mixed number {@code 1\frac{4}{5}} is 1 + 4/5 (MATH writes them so); any other
 *       juxtaposition is multiplication.</li>
 *   <li>Words after a number are units and dropped ({@code 15\mbox{ cm}^2}, {@code 125 miles});
 *       words anywhere else make the answer {@link Text}.</li>
 *   <li>f, g, h, F, G, H, P, Q, W followed directly by '(' are functions; other letters multiply.</li>
 *   <li>Anything the grammar does not cover yields Text (compared as normalized text), never an
 *       exception: a verifier must answer for every input.</li>
 * </ul>
 */
final class MathParser {

  enum T {
    NUM, ID, FUNC, CMD, WORD, OP, REL, LP, RP, LBRACE, RBRACE, SETL, SETR, COMMA, SEMI, AND, OR,
    AMP, ROWSEP, PIPE, PCT, DEG, PM, MP, INF, DOTS, CUP, EOF
  }

  record Tok(T t, String s, boolean space, boolean fromText) {}

  /** Control flow for "this is not math we parse"; no stack trace. */
  static final class ParseError extends RuntimeException {
    ParseError(String why) {
      super(why, null, false, false);
    }
  }

  private static final Set<String> FUNCS = Set.of(
      "sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "arccot", "sinh",
      "cosh", "tanh", "log", "ln", "lg", "exp", "sqrt", "max", "min", "gcd", "lcm", "abs", "sgn");
  private static final Set<String> TRIG = Set.of("sin", "cos", "tan", "cot", "sec", "csc");
  private static final Set<String> FUNCTION_LETTERS = Set.of("f", "g", "h", "F", "G", "H", "P", "Q", "W");
  private static final Set<String> TEXT_COMMANDS = Set.of(
      "text", "textbf", "textit", "textrm", "textsf", "texttt", "textnormal", "mbox", "hbox", "emph",
      "mathrm", "mathbf", "mathit", "mathsf", "mathtt", "mathcal", "mathbb", "mathfrak", "boldsymbol",
      "bm", "operatorname", "textup", "mathnormal");
  private static final Set<String> DECORATIONS = Set.of(
      "overline", "vec", "bar", "hat", "widehat", "tilde", "widetilde", "overrightarrow",
      "underline", "dot", "ddot", "mathring", "overleftrightarrow", "check", "acute", "grave");
  private static final Set<String> MATRIX_ENVS = Set.of(
      "pmatrix", "bmatrix", "Bmatrix", "vmatrix", "Vmatrix", "matrix", "smallmatrix", "array");
  private static final Map<String, String> RELATIONS = Map.ofEntries(
      Map.entry("le", "<="), Map.entry("leq", "<="), Map.entry("leqslant", "<="), Map.entry("leqq", "<="),
      Map.entry("ge", ">="), Map.entry("geq", ">="), Map.entry("geqslant", ">="), Map.entry("geqq", ">="),
      Map.entry("lt", "<"), Map.entry("gt", ">"), Map.entry("ne", "!="), Map.entry("neq", "!="),
      Map.entry("approx", "~"), Map.entry("simeq", "~"), Map.entry("sim", "~"), Map.entry("cong", "~"),
      Map.entry("equiv", "="), Map.entry("doteq", "~"), Map.entry("in", "in"), Map.entry("notin", "notin"),
      Map.entry("to", "to"), Map.entry("rightarrow", "to"), Map.entry("mapsto", "to"),
      Map.entry("longrightarrow", "to"), Map.entry("Rightarrow", "=>"), Map.entry("implies", "=>"),
      Map.entry("Longrightarrow", "=>"), Map.entry("iff", "=>"), Map.entry("subset", "sub"),
      Map.entry("subseteq", "sub"));
  private static final Set<String> GREEK = Set.of(
      "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta",
      "iota", "kappa", "lambda", "mu", "nu", "xi", "rho", "varrho", "sigma", "tau", "upsilon", "phi",
      "varphi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Sigma", "Upsilon",
      "Phi", "Psi", "Omega");

  static final int MAX_DEPTH = 200;
  static final int MAX_TOKENS = 5000;

  private final List<Tok> toks;
  private final Deadline deadline;
  private int pos;
  private int depth;
  private int absDepth;

  private MathParser(List<Tok> toks, Deadline deadline) {
    this.toks = toks;
    this.deadline = deadline;
  }

  /** Parses a cleaned answer; text it cannot read as math comes back as {@link Text}. */
  static Ans parse(String cleaned, Deadline deadline) {
    try {
      List<Tok> toks = new Tokenizer(cleaned).run();
      if (toks.size() > MAX_TOKENS) {
        return new Text(cleaned);
      }
      if (toks.size() == 1) {
        return new Text(cleaned);
      }
      MathParser p = new MathParser(toks, deadline);
      // "= 5", "≈ 3.14": a leading relation only introduces the answer.
      while (p.is(T.REL) && (p.peek().s().equals("=") || p.peek().s().equals("~"))) {
        p.next();
      }
      Ans a = p.parseList();
      if (p.peek().t() != T.EOF) {
        throw new ParseError("unexpected " + p.peek());
      }
      return a;
    } catch (ParseError | ArithmeticException | NumberFormatException | IndexOutOfBoundsException e) {
      return new Text(cleaned);
    } catch (StackOverflowError e) {
      return new Text(cleaned);
    }
  }

  // ================================================================ tokenizer

  static final class Tokenizer {
    private final String s;
    private final boolean textMode;
    private final boolean nested;
    private final List<Tok> out;
    private int i;
    private boolean space;

    Tokenizer(String s) {
      this(s, false, false, new ArrayList<>());
    }

    private Tokenizer(String s, boolean textMode, boolean nested, List<Tok> out) {
      this.s = s;
      this.textMode = textMode;
      this.nested = nested;
      this.out = out;
    }

    List<Tok> run() {
      int n = s.length();
      while (i < n) {
        char c = s.charAt(i);
        if (Character.isWhitespace(c)) {
          space = true;
          i++;
          continue;
        }
        if (Character.isDigit(c) || (c == '.' && i + 1 < n && Character.isDigit(s.charAt(i + 1)))) {
          int j = i;
          while (j < n && Character.isDigit(s.charAt(j))) {
            j++;
          }
          if (j < n - 1 && s.charAt(j) == '.' && Character.isDigit(s.charAt(j + 1))) {
            j++;
            while (j < n && Character.isDigit(s.charAt(j))) {
              j++;
            }
          }
          int e = scientificExponentEnd(j, s.substring(i, j).indexOf('.') >= 0);
          if (e > j) {
            // "1.2e-3", "6e5": a plain-text power of ten.
            add(T.NUM, s.substring(i, j));
            add(T.OP, "*");
            add(T.NUM, "10");
            add(T.OP, "^");
            String ex = s.substring(j + 1, e);
            if (ex.startsWith("-")) {
              add(T.OP, "-");
              ex = ex.substring(1);
            } else if (ex.startsWith("+")) {
              ex = ex.substring(1);
            }
            add(T.NUM, ex);
            i = e;
            continue;
          }
          add(T.NUM, s.substring(i, j));
          i = j;
        } else if (Character.isLetter(c) && c < 0x80) {
          int j = i;
          while (j < n && Character.isLetter(s.charAt(j)) && s.charAt(j) < 0x80) {
            j++;
          }
          word(s.substring(i, j));
          i = j;
        } else if (c == '\\') {
          backslash();
        } else {
          symbol(c);
        }
      }
      if (!nested) {
        out.add(new Tok(T.EOF, "", true, false));
      }
      return out;
    }

    /**
     * End of an "e5"/"E-3" exponent right after a number, or {@code at} when there is none. A
     * signed exponent needs a decimal mantissa: "2e-1" is more likely 2e - 1 than 0.2.
     */
    private int scientificExponentEnd(int at, boolean decimalMantissa) {
      int n = s.length();
      if (textMode || at >= n || (s.charAt(at) != 'e' && s.charAt(at) != 'E')) {
        return at;
      }
      int k = at + 1;
      if (k < n && (s.charAt(k) == '-' || s.charAt(k) == '+')) {
        if (!decimalMantissa) {
          return at;
        }
        k++;
      }
      int digits = k;
      while (k < n && Character.isDigit(s.charAt(k))) {
        k++;
      }
      if (k == digits || (k < n && Character.isLetter(s.charAt(k)))) {
        return at;
      }
      return k;
    }

    private void add(T t, String text) {
      out.add(new Tok(t, text, space, textMode));
      space = false;
    }

    private void word(String w) {
      String lw = w.toLowerCase(Locale.ROOT);
      if (lw.equals("and")) {
        add(T.AND, w);
      } else if (lw.equals("or")) {
        add(T.OR, w);
      } else if (lw.equals("percent") || lw.equals("percentage") || lw.equals("pct")) {
        add(T.PCT, w);
      } else if (textMode) {
        add(T.WORD, w);
      } else if (FUNCS.contains(w)) {
        add(T.FUNC, w);
      } else if (w.equals("pi")) {
        add(T.ID, "\\pi");
      } else if (w.equals("infty") || w.equals("infinity") || w.equals("inf")) {
        add(T.INF, w);
      } else if (w.length() == 1) {
        add(T.ID, w);
      } else {
        add(T.WORD, w);
      }
    }

    private void backslash() {
      int n = s.length();
      if (i + 1 >= n) {
        i++;
        return;
      }
      char d = s.charAt(i + 1);
      if (!Character.isLetter(d)) {
        i += 2;
        switch (d) {
          case '{' -> add(T.SETL, "{");
          case '}' -> add(T.SETR, "}");
          case '\\' -> add(T.ROWSEP, "\\\\");
          case '%' -> add(T.PCT, "%");
          case '|' -> add(T.PIPE, "|");
          default -> space = true;
        }
        return;
      }
      int j = i + 1;
      while (j < n && Character.isLetter(s.charAt(j))) {
        j++;
      }
      String name = s.substring(i + 1, j);
      i = j;
      if (TEXT_COMMANDS.contains(name)) {
        String content = braceArg();
        if (content == null) {
          return;
        }
        if (name.equals("operatorname")) {
          String op = content.strip();
          add(FUNCS.contains(op) ? T.FUNC : T.WORD, op);
        } else if (name.startsWith("math") || name.equals("boldsymbol") || name.equals("bm")) {
          // \mathrm{e}, \mathbf{v}, \mathbb{R}: math letters; \mathrm{cm}: a word.
          String c = content.strip();
          nested(content, textMode || !(c.length() <= 1 || c.startsWith("\\")));
        } else {
          nested(content, true);
        }
        return;
      }
      if (DECORATIONS.contains(name)) {
        String content = braceArg();
        if (content != null) {
          nested(content, textMode);
        }
        return;
      }
      if (name.equals("begin") || name.equals("end")) {
        String env = braceArg();
        add(T.CMD, name + ":" + (env == null ? "" : env.strip()));
        if (name.equals("begin") && "array".equals(env == null ? null : env.strip())) {
          braceArg();
        }
        return;
      }
      if (name.equals("not")) {
        return;
      }
      if (RELATIONS.containsKey(name)) {
        add(T.REL, RELATIONS.get(name));
        return;
      }
      switch (name) {
        case "frac", "sqrt", "binom", "sum", "prod", "boxed", "fbox", "choose" -> add(T.CMD, name);
        case "infty" -> add(T.INF, name);
        case "pm" -> add(T.PM, name);
        case "mp" -> add(T.MP, name);
        case "cdot", "times", "ast", "star", "bullet" -> add(T.OP, "*");
        case "div" -> add(T.OP, "/");
        case "cup" -> add(T.CUP, name);
        case "cap", "setminus", "backslash" -> add(T.OP, "\\");
        case "dots", "ldots", "cdots", "vdots", "ddots" -> add(T.DOTS, name);
        case "lfloor" -> add(T.LP, "⌊");
        case "rfloor" -> add(T.RP, "⌋");
        case "lceil" -> add(T.LP, "⌈");
        case "rceil" -> add(T.RP, "⌉");
        case "langle" -> add(T.LP, "⟨");
        case "rangle" -> add(T.RP, "⟩");
        case "lbrace" -> add(T.SETL, "{");
        case "rbrace" -> add(T.SETR, "}");
        case "lbrack" -> add(T.LP, "[");
        case "rbrack" -> add(T.RP, "]");
        case "vert", "lvert", "rvert", "mid" -> add(T.PIPE, "|");
        case "pi" -> add(T.ID, "\\pi");
        case "emptyset", "varnothing" -> add(T.ID, "\\emptyset");
        case "prime" -> { }
        case "ln" -> add(T.FUNC, "ln");
        default -> {
          if (FUNCS.contains(name)) {
            add(T.FUNC, name);
          } else if (GREEK.contains(name)) {
            add(T.ID, "\\" + name);
          } else {
            add(T.ID, "\\" + name);
          }
        }
      }
    }

    /** Reads "{...}" after a command (skipping spaces); a bare next character counts too. */
    private String braceArg() {
      int n = s.length();
      while (i < n && s.charAt(i) == ' ') {
        i++;
      }
      if (i >= n) {
        return null;
      }
      if (s.charAt(i) == '{') {
        int end = AnswerExtractor.matchBrace(s, i);
        if (end < 0) {
          throw new ParseError("unbalanced braces");
        }
        String content = s.substring(i + 1, end);
        i = end + 1;
        return content;
      }
      String c = s.substring(i, i + 1);
      i++;
      return c;
    }

    private void nested(String content, boolean text) {
      boolean before = space;
      Tokenizer t = new Tokenizer(content, text, true, out);
      t.space = before;
      t.run();
      space = false;
    }

    private void symbol(char c) {
      int n = s.length();
      char next = i + 1 < n ? s.charAt(i + 1) : 0;
      i++;
      switch (c) {
        case '+' -> add(T.OP, "+");
        case '-' -> add(T.OP, "-");
        case '*' -> {
          if (next == '*') {
            i++;
            add(T.OP, "^");
          } else {
            add(T.OP, "*");
          }
        }
        case '/' -> add(T.OP, "/");
        case '^' -> add(T.OP, "^");
        case '_' -> add(T.OP, "_");
        case '!' -> {
          if (next == '=') {
            i++;
            add(T.REL, "!=");
          } else {
            add(T.OP, "!");
          }
        }
        case ':' -> {
          if (next == '=') {
            i++;
            add(T.REL, "=");
          } else {
            add(T.OP, ":");
          }
        }
        case '=' -> {
          if (next == '=') {
            i++;
          } else if (next == '>') {
            i++;
            add(T.REL, "=>");
            return;
          } else if (next == '<') {
            i++;
            add(T.REL, "<=");
            return;
          }
          add(T.REL, "=");
        }
        case '<' -> {
          if (next == '=') {
            i++;
            add(T.REL, "<=");
          } else if (next == '>') {
            i++;
            add(T.REL, "!=");
          } else {
            add(T.REL, "<");
          }
        }
        case '>' -> {
          if (next == '=') {
            i++;
            add(T.REL, ">=");
          } else {
            add(T.REL, ">");
          }
        }
        case '(' -> add(T.LP, "(");
        case '[' -> add(T.LP, "[");
        case ')' -> add(T.RP, ")");
        case ']' -> add(T.RP, "]");
        case '{' -> add(T.LBRACE, "{");
        case '}' -> add(T.RBRACE, "}");
        case ',' -> add(T.COMMA, ",");
        case ';' -> add(T.SEMI, ";");
        case '&' -> add(T.AMP, "&");
        case '|' -> add(T.PIPE, "|");
        case '%' -> add(T.PCT, "%");
        case '°' -> add(T.DEG, "°");
        case '.' -> {
          if (next == '.' && i + 1 < n && s.charAt(i + 1) == '.') {
            i += 2;
            add(T.DOTS, "...");
          } else {
            space = true;
          }
        }
        default -> space = true;
      }
    }
  }

  // ================================================================ parser

  private Tok peek() {
    return toks.get(pos);
  }

  private Tok peekAt(int k) {
    return toks.get(Math.min(pos + k, toks.size() - 1));
  }

  private Tok next() {
    Tok t = toks.get(pos);
    if (t.t() != T.EOF) {
      pos++;
    }
    return t;
  }

  private boolean is(T t) {
    return peek().t() == t;
  }

  private boolean isOp(String op) {
    Tok t = peek();
    return t.t() == T.OP && t.s().equals(op);
  }

  private void expect(T t) {
    if (!is(t)) {
      throw new ParseError("expected " + t + " at " + peek());
    }
    next();
  }

  private void enter() {
    deadline.check();
    if (++depth > MAX_DEPTH) {
      throw new ParseError("too deep");
    }
  }

  private void leave() {
    depth--;
  }

  private static Expr expr(Ans a) {
    if (a instanceof Scalar s) {
      return s.expr();
    }
    throw new ParseError("not a scalar: " + a);
  }

  private static Scalar sc(Expr e) {
    return new Scalar(e);
  }

  /** Items separated by ',', ';', "and", "or" until a closer; one item comes back unwrapped. */
  Ans parseList() {
    enter();
    try {
      List<Ans> items = new ArrayList<>();
      List<Integer> groupEnds = new ArrayList<>();
      boolean comma = false;
      boolean semi = false;
      boolean or = false;
      items.add(parseItem());
      while (true) {
        T t = peek().t();
        if (t != T.COMMA && t != T.SEMI && t != T.AND && t != T.OR) {
          break;
        }
        next();
        comma |= t == T.COMMA || t == T.AND;
        or |= t == T.OR;
        if (t == T.SEMI) {
          semi = true;
          groupEnds.add(items.size());
        }
        while (is(T.AND) || is(T.OR) || is(T.COMMA)) {
          or |= is(T.OR);
          next();
        }
        if (closes(peek().t())) {
          break;
        }
        items.add(parseItem());
      }
      if (items.size() == 1) {
        return items.get(0);
      }
      if (semi && comma) {
        // "p=5,q=2;p=7,q=2": ';' separates solutions, ',' the parts of one solution.
        List<Ans> groups = new ArrayList<>();
        int from = 0;
        groupEnds.add(items.size());
        for (int end : groupEnds) {
          List<Ans> g = items.subList(from, end);
          groups.add(g.size() == 1 ? g.get(0) : new Group(' ', ' ', List.copyOf(g), false));
          from = end;
        }
        return new Group(' ', ' ', groups, true);
      }
      return new Group(' ', ' ', List.copyOf(items), or);
    } finally {
      leave();
    }
  }

  private static boolean closes(T t) {
    return t == T.EOF || t == T.RP || t == T.RBRACE || t == T.SETR || t == T.AMP || t == T.ROWSEP;
  }

  /** One relation chain ("x = 1", "a < b \le c") with trailing units dropped. */
  private Ans parseItem() {
    enter();
    try {
      int start = pos;
      Ans first = parseSetExpr();
      List<Ans> sides = new ArrayList<>();
      List<String> ops = new ArrayList<>();
      sides.add(first);
      skipUnits(start);
      while (is(T.REL)) {
        ops.add(next().s());
        int s = pos;
        sides.add(parseSetExpr());
        skipUnits(s);
      }
      return ops.isEmpty() ? first : new Rel(List.copyOf(sides), List.copyOf(ops));
    } finally {
      leave();
    }
  }

  /** Drops unit words (and their "^2") after a quantity that holds a number. */
  private void skipUnits(int start) {
    if (!is(T.WORD) || !hasNumberSince(start)) {
      return;
    }
    while (is(T.WORD) || (is(T.ID) && peek().space() && peekAt(1).t() == T.EOF && peek().s().length() == 1)) {
      next();
      if (isOp("^")) {
        next();
        if (is(T.NUM)) {
          next();
        } else if (is(T.LBRACE)) {
          next();
          while (!is(T.RBRACE) && !is(T.EOF)) {
            next();
          }
          expect(T.RBRACE);
        }
      }
    }
  }

  private boolean hasNumberSince(int start) {
    for (int k = start; k < pos; k++) {
      if (toks.get(k).t() == T.NUM) {
        return true;
      }
    }
    return false;
  }

  private Ans parseSetExpr() {
    Ans a = parseSum();
    if (!is(T.CUP)) {
      return a;
    }
    List<Ans> parts = new ArrayList<>();
    parts.add(a);
    while (is(T.CUP)) {
      next();
      parts.add(parseSum());
    }
    return new Union(List.copyOf(parts));
  }

  private Ans parseSum() {
    enter();
    try {
      Ans acc = parseTerm();
      while (true) {
        if (isOp("+")) {
          next();
          acc = add(acc, parseTerm(), false);
        } else if (isOp("-")) {
          next();
          acc = add(acc, parseTerm(), true);
        } else if (is(T.PM) || is(T.MP)) {
          boolean mp = next().t() == T.MP;
          acc = sc(new PlusMinus(expr(acc), expr(parseTerm()), mp));
        } else {
          return acc;
        }
      }
    } finally {
      leave();
    }
  }

  private static Ans add(Ans a, Ans b, boolean subtract) {
    if (a instanceof Matrix ma && b instanceof Matrix mb) {
      return zip(ma, mb, (x, y) -> sc(new Add(List.of(expr(x), subtract ? Expr.neg(expr(y)) : expr(y)))));
    }
    Expr left = expr(a);
    Expr right = subtract ? Expr.neg(expr(b)) : expr(b);
    List<Expr> terms = new ArrayList<>();
    if (left instanceof Add la) {
      terms.addAll(la.terms());
    } else {
      terms.add(left);
    }
    terms.add(right);
    return sc(new Add(List.copyOf(terms)));
  }

  private static Matrix zip(Matrix a, Matrix b, java.util.function.BinaryOperator<Ans> f) {
    if (a.rows().size() != b.rows().size()) {
      throw new ParseError("matrix shapes differ");
    }
    List<List<Ans>> rows = new ArrayList<>();
    for (int r = 0; r < a.rows().size(); r++) {
      List<Ans> ra = a.rows().get(r);
      List<Ans> rb = b.rows().get(r);
      if (ra.size() != rb.size()) {
        throw new ParseError("matrix shapes differ");
      }
      List<Ans> row = new ArrayList<>();
      for (int c = 0; c < ra.size(); c++) {
        row.add(f.apply(ra.get(c), rb.get(c)));
      }
      rows.add(List.copyOf(row));
    }
    return new Matrix(List.copyOf(rows));
  }

  private Ans parseTerm() {
    enter();
    try {
      Ans acc = parseUnary();
      while (true) {
        if (isOp("*")) {
          next();
          acc = mul(acc, parseUnary());
        } else if (isOp("/") || isOp(":")) {
          next();
          acc = sc(new Div(expr(acc), expr(parseUnary())));
        } else if (startsImplicitFactor()) {
          if (isMixedNumber(acc)) {
            acc = sc(new Add(List.of(expr(acc), expr(parsePower()))));
          } else {
            acc = mul(acc, parsePower());
          }
        } else {
          return acc;
        }
      }
    } finally {
      leave();
    }
  }

  /** "1\frac{4}{5}" is one and four fifths: an integer right before a proper numeric fraction. */
  private boolean isMixedNumber(Ans acc) {
    if (!(acc instanceof Scalar s) || !(s.expr() instanceof Lit l) || l.decimal() || !l.value().isInteger()
        || l.value().signum() < 0) {
      return false;
    }
    Tok t = peek();
    if (t.t() != T.CMD || !t.s().equals("frac")) {
      return false;
    }
    // \frac{a}{b} with integer literals a < b.
    if (peekAt(1).t() == T.LBRACE && peekAt(2).t() == T.NUM && peekAt(3).t() == T.RBRACE
        && peekAt(4).t() == T.LBRACE && peekAt(5).t() == T.NUM && peekAt(6).t() == T.RBRACE) {
      try {
        BigInteger a = new BigInteger(peekAt(2).s());
        BigInteger b = new BigInteger(peekAt(5).s());
        return a.signum() > 0 && a.compareTo(b) < 0;
      } catch (NumberFormatException e) {
        return false;
      }
    }
    return false;
  }

  private Ans mul(Ans a, Ans b) {
    if (a instanceof Matrix ma && b instanceof Matrix mb) {
      return matMul(ma, mb);
    }
    if (a instanceof Matrix ma) {
      Expr k = expr(b);
      return mapCells(ma, x -> sc(new Mul(List.of(expr(x), k))));
    }
    if (b instanceof Matrix mb) {
      Expr k = expr(a);
      return mapCells(mb, x -> sc(new Mul(List.of(k, expr(x)))));
    }
    Expr left = expr(a);
    Expr right = expr(b);
    List<Expr> fs = new ArrayList<>();
    if (left instanceof Mul lm) {
      fs.addAll(lm.factors());
    } else {
      fs.add(left);
    }
    fs.add(right);
    return sc(new Mul(List.copyOf(fs)));
  }

  private static Matrix mapCells(Matrix m, java.util.function.UnaryOperator<Ans> f) {
    List<List<Ans>> rows = new ArrayList<>();
    for (List<Ans> r : m.rows()) {
      rows.add(r.stream().map(f).toList());
    }
    return new Matrix(List.copyOf(rows));
  }

  private static Matrix matMul(Matrix a, Matrix b) {
    int n = a.rows().size();
    int k = a.rows().get(0).size();
    if (b.rows().size() != k) {
      throw new ParseError("matrix shapes do not multiply");
    }
    int m = b.rows().get(0).size();
    List<List<Ans>> rows = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      List<Ans> row = new ArrayList<>();
      for (int c = 0; c < m; c++) {
        List<Expr> terms = new ArrayList<>();
        for (int j = 0; j < k; j++) {
          terms.add(new Mul(List.of(expr(a.rows().get(r).get(j)), expr(b.rows().get(j).get(c)))));
        }
        row.add(sc(new Add(List.copyOf(terms))));
      }
      rows.add(List.copyOf(row));
    }
    return new Matrix(List.copyOf(rows));
  }

  private boolean startsImplicitFactor() {
    Tok t = peek();
    switch (t.t()) {
      case NUM:
        return !t.space();
      case ID:
      case FUNC:
      case INF:
        return true;
      case CMD:
        return !t.s().startsWith("end:");
      case LP:
        return t.s().equals("(") || t.s().equals("⌊") || t.s().equals("⌈");
      case LBRACE:
        return true;
      case PIPE:
        return absDepth == 0 && !t.space();
      case WORD:
        return !t.fromText() && !t.space();
      default:
        return false;
    }
  }

  private Ans parseUnary() {
    enter();
    try {
      if (isOp("-")) {
        next();
        Ans a = parseUnary();
        if (a instanceof Matrix m) {
          return mapCells(m, x -> sc(Expr.neg(expr(x))));
        }
        return sc(Expr.neg(expr(a)));
      }
      if (isOp("+")) {
        next();
        return parseUnary();
      }
      if (is(T.PM) || is(T.MP)) {
        boolean mp = next().t() == T.MP;
        return sc(new PlusMinus(null, expr(parseUnary()), mp));
      }
      return parsePower();
    } finally {
      leave();
    }
  }

  private Ans parsePower() {
    Ans base = parsePostfix();
    if (!isOp("^")) {
      return base;
    }
    next();
    if (is(T.DEG)) {
      next();
      return postfix(sc(new Deg(expr(base))));
    }
    Expr ex = parseExponent();
    return postfix(sc(new Pow(expr(base), ex)));
  }

  private Expr parseExponent() {
    enter();
    try {
      if (is(T.LBRACE)) {
        next();
        Ans inner = parseList();
        expect(T.RBRACE);
        return expr(inner);
      }
      if (isOp("-")) {
        next();
        return Expr.neg(parseExponent());
      }
      if (isOp("+")) {
        next();
        return parseExponent();
      }
      return expr(parsePostfix());
    } finally {
      leave();
    }
  }

  private Ans parsePostfix() {
    return postfix(parsePrimary());
  }

  private Ans postfix(Ans p) {
    while (true) {
      if (isOp("!")) {
        next();
        p = sc(new Fn("fact", List.of(expr(p))));
      } else if (is(T.PCT)) {
        next();
        p = sc(new Pct(expr(p)));
      } else if (is(T.DEG)) {
        next();
        p = sc(new Deg(expr(p)));
      } else {
        return p;
      }
    }
  }

  private Ans parsePrimary() {
    enter();
    try {
      Tok t = peek();
      switch (t.t()) {
        case NUM: {
          next();
          Rational v = Rational.parseDecimal(t.s());
          boolean decimal = t.s().indexOf('.') >= 0;
          if (isOp("_") && !decimal) {
            next();
            String base = subscriptText();
            if (base == null) {
              throw new ParseError("bad base subscript");
            }
            return sc(new Fn("@base", List.of(new Lit(v, false), new Sym(base))));
          }
          return sc(new Lit(v, decimal));
        }
        case ID:
          return identifier();
        case FUNC:
          return function();
        case CMD:
          return command();
        case LP:
          return bracketed();
        case LBRACE: {
          next();
          Ans inner = parseList();
          expect(T.RBRACE);
          if (inner instanceof Group g && g.bare()) {
            return new Group('{', '}', g.items(), false);
          }
          return inner;
        }
        case SETL: {
          next();
          List<Ans> items = new ArrayList<>();
          if (!is(T.SETR)) {
            Ans inner = parseList();
            if (inner instanceof Group g && g.bare()) {
              items.addAll(g.items());
            } else {
              items.add(inner);
            }
          }
          expect(T.SETR);
          return new Group('{', '}', List.copyOf(items), false);
        }
        case PIPE: {
          next();
          absDepth++;
          Ans inner = parseSum();
          absDepth--;
          expect(T.PIPE);
          return sc(new Fn("abs", List.of(expr(inner))));
        }
        case INF:
          next();
          return sc(new Const("inf"));
        case DOTS:
          next();
          return sc(new Sym("\\dots"));
        case WORD: {
          if (t.fromText() || t.s().length() > 3) {
            throw new ParseError("words");
          }
          next();
          List<Expr> fs = new ArrayList<>();
          for (char c : t.s().toCharArray()) {
            fs.add(new Sym(String.valueOf(c)));
          }
          return sc(new Mul(List.copyOf(fs)));
        }
        default:
          throw new ParseError("unexpected " + t);
      }
    } finally {
      leave();
    }
  }

  private Ans identifier() {
    Tok t = next();
    String name = t.s();
    if (isOp("_")) {
      next();
      int save = pos;
      String simple = subscriptText();
      if (simple != null) {
        return maybeCall(name + "_" + simple);
      }
      pos = save;
      Expr idx = parseSubscriptExpr();
      return sc(new Fn("@" + name + "_", List.of(idx)));
    }
    switch (name) {
      case "\\pi":
        return sc(new Const("pi"));
      case "e":
        return sc(new Const("e"));
      case "i":
        return sc(new Const("i"));
      case "\\emptyset":
        return new Group('{', '}', List.of(), false);
      default:
        return maybeCall(name);
    }
  }

  /** f(x), P(A): a call when the letter is a usual function name and '(' follows directly. */
  private Ans maybeCall(String name) {
    String base = name.contains("_") ? name.substring(0, name.indexOf('_')) : name;
    while (isOp("'")) {
      next();
    }
    if (FUNCTION_LETTERS.contains(base) && is(T.LP) && peek().s().equals("(") && !peek().space()) {
      next();
      Ans inner = parseList();
      expect(T.RP);
      List<Expr> args = new ArrayList<>();
      if (inner instanceof Group g && g.bare()) {
        for (Ans a : g.items()) {
          args.add(expr(a));
        }
      } else {
        args.add(expr(inner));
      }
      return sc(new Fn("@" + name, List.copyOf(args)));
    }
    return sc(new Sym(name));
  }

  /** Subscript made only of digits and letters ("1", "{37}", "{MBCN}"), or null. */
  private String subscriptText() {
    if (is(T.NUM) || is(T.ID)) {
      return next().s();
    }
    if (!is(T.LBRACE)) {
      return null;
    }
    int k = pos + 1;
    StringBuilder b = new StringBuilder();
    while (k < toks.size()) {
      Tok t = toks.get(k);
      if (t.t() == T.RBRACE) {
        if (b.length() == 0) {
          return null;
        }
        pos = k + 1;
        return b.toString();
      }
      if (t.t() != T.NUM && t.t() != T.ID && t.t() != T.WORD) {
        return null;
      }
      b.append(t.s());
      k++;
    }
    return null;
  }

  private Expr parseSubscriptExpr() {
    if (is(T.LBRACE)) {
      next();
      Ans inner = parseList();
      expect(T.RBRACE);
      return expr(inner);
    }
    return expr(parsePrimary());
  }

  private Ans function() {
    String name = next().s();
    Expr power = null;
    Expr base = null;
    if (isOp("^")) {
      next();
      power = parseExponent();
    }
    if (isOp("_")) {
      next();
      base = parseSubscriptExpr();
    }
    List<Expr> args = new ArrayList<>();
    if (is(T.LP) && peek().s().equals("(")) {
      next();
      Ans inner = parseList();
      expect(T.RP);
      if (inner instanceof Group g && g.bare()) {
        for (Ans a : g.items()) {
          args.add(expr(a));
        }
      } else {
        args.add(expr(inner));
      }
      // "\sin(x)^2": a power right after the parenthesis applies to the function value.
      if (power == null && isOp("^")) {
        next();
        power = parseExponent();
      }
    } else if (is(T.LBRACE)) {
      next();
      args.add(expr(parseList()));
      expect(T.RBRACE);
    } else {
      args.add(functionArgument());
    }
    Expr f;
    switch (name) {
      case "ln":
        f = new Fn("log", args);
        break;
      case "lg":
        f = new Fn("log", List.of(new Lit(Rational.of(10), false), args.get(0)));
        break;
      case "log":
        f = base == null ? new Fn("log", args) : new Fn("log", List.of(base, args.get(0)));
        break;
      default:
        if (power != null && TRIG.contains(name) && power.equals(new Lit(Rational.of(-1), false))) {
          // \sin^{-1} x is arcsin x.
          return sc(new Fn("arc" + name, args));
        }
        f = new Fn(name, args);
    }
    return sc(power == null ? f : new Pow(f, power));
  }

  /** The argument of "\sin 2x": a product of primaries, stopping at the next function or sign. */
  private Expr functionArgument() {
    Ans a = parsePower();
    List<Expr> fs = new ArrayList<>();
    fs.add(expr(a));
    while (true) {
      Tok t = peek();
      boolean factor = (t.t() == T.NUM && !t.space()) || t.t() == T.ID || t.t() == T.INF
          || (t.t() == T.CMD && (t.s().equals("frac") || t.s().equals("sqrt")))
          || (t.t() == T.WORD && !t.fromText() && !t.space());
      if (!factor) {
        break;
      }
      fs.add(expr(parsePower()));
    }
    return fs.size() == 1 ? fs.get(0) : new Mul(List.copyOf(fs));
  }

  private Ans command() {
    Tok t = next();
    String name = t.s();
    switch (name) {
      case "frac": {
        Expr num = argument();
        Expr den = argument();
        return sc(new Div(num, den));
      }
      case "sqrt": {
        Expr index = null;
        if (is(T.LP) && peek().s().equals("[")) {
          next();
          index = expr(parseSum());
          if (!is(T.RP) || !peek().s().equals("]")) {
            throw new ParseError("bad root index");
          }
          next();
        }
        Expr arg = argument();
        return sc(index == null ? new Fn("sqrt", List.of(arg)) : new Fn("root", List.of(index, arg)));
      }
      case "binom":
        return sc(new Fn("binom", List.of(argument(), argument())));
      case "boxed":
      case "fbox": {
        expect(T.LBRACE);
        Ans inner = parseList();
        expect(T.RBRACE);
        return inner;
      }
      case "sum":
      case "prod":
        return bigOp(name.equals("prod"));
      default:
        if (name.startsWith("begin:")) {
          return matrix(name.substring(6));
        }
        throw new ParseError("command " + name);
    }
  }

  /** A LaTeX argument: {...}, or a single token (one digit of a number: \frac34 is 3/4). */
  private Expr argument() {
    Tok t = peek();
    if (t.t() == T.LBRACE) {
      next();
      Ans inner = parseList();
      expect(T.RBRACE);
      return expr(inner);
    }
    if (t.t() == T.NUM) {
      String s = t.s();
      if (s.length() > 1 && Character.isDigit(s.charAt(0))) {
        toks.set(pos, new Tok(T.NUM, s.substring(1), false, t.fromText()));
        return new Lit(Rational.parseDecimal(s.substring(0, 1)), false);
      }
      next();
      return new Lit(Rational.parseDecimal(s), s.indexOf('.') >= 0);
    }
    return expr(parsePrimary());
  }

  private Ans bigOp(boolean product) {
    if (!isOp("_")) {
      throw new ParseError("big operator without bounds");
    }
    next();
    expect(T.LBRACE);
    if (!is(T.ID)) {
      throw new ParseError("big operator index");
    }
    String var = next().s();
    if (!is(T.REL) || !peek().s().equals("=")) {
      throw new ParseError("big operator index");
    }
    next();
    Expr lo = expr(parseSum());
    expect(T.RBRACE);
    if (!isOp("^")) {
      throw new ParseError("big operator without upper bound");
    }
    next();
    Expr hi = parseExponent();
    Expr body = expr(parseTerm());
    return sc(new Expr.BigOp(product, var, lo, hi, body));
  }

  private Ans matrix(String env) {
    if (!MATRIX_ENVS.contains(env)) {
      throw new ParseError("environment " + env);
    }
    List<List<Ans>> rows = new ArrayList<>();
    List<Ans> row = new ArrayList<>();
    while (true) {
      if (is(T.EOF)) {
        throw new ParseError("unterminated matrix");
      }
      if (is(T.CMD) && peek().s().startsWith("end:")) {
        next();
        break;
      }
      if (is(T.ROWSEP)) {
        next();
        if (!row.isEmpty()) {
          rows.add(List.copyOf(row));
        }
        row = new ArrayList<>();
        continue;
      }
      row.add(parseItem());
      if (is(T.AMP)) {
        next();
      } else if (!is(T.ROWSEP) && !(is(T.CMD) && peek().s().startsWith("end:"))) {
        throw new ParseError("bad matrix cell");
      }
    }
    if (!row.isEmpty()) {
      rows.add(List.copyOf(row));
    }
    if (rows.isEmpty()) {
      throw new ParseError("empty matrix");
    }
    return new Matrix(List.copyOf(rows));
  }

  private Ans bracketed() {
    String open = next().s();
    switch (open) {
      case "⌊":
      case "⌈": {
        Ans inner = parseSum();
        if (!is(T.RP)) {
          throw new ParseError("unclosed floor/ceil");
        }
        next();
        return sc(new Fn(open.equals("⌊") ? "floor" : "ceil", List.of(expr(inner))));
      }
      default:
        break;
    }
    Ans inner = parseList();
    if (!is(T.RP)) {
      throw new ParseError("unclosed bracket");
    }
    String close = next().s();
    char o = open.equals("⟨") ? '(' : open.charAt(0);
    char c = close.equals("⟩") ? ')' : close.charAt(0);
    if (inner instanceof Group g && g.bare() && !g.unordered()) {
      return new Group(o, c, g.items(), false);
    }
    if ((o == '(' && c == ')') || (o == '[' && c == ']')) {
      return inner;
    }
    throw new ParseError("mismatched brackets around one item");
  }
}
