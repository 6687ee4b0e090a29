package dev.retort.verify;

import dev.retort.verify.Ans.Group;
import dev.retort.verify.Ans.Matrix;
import dev.retort.verify.Ans.Rel;
import dev.retort.verify.Ans.Scalar;
import dev.retort.verify.Ans.Text;
import dev.retort.verify.Ans.Union;
import dev.retort.verify.Expr.Const;
import dev.retort.verify.Expr.Deg;
import dev.retort.verify.Expr.Div;
import dev.retort.verify.Expr.Fn;
import dev.retort.verify.Expr.Lit;
import dev.retort.verify.Expr.Mul;
import dev.retort.verify.Expr.Neg;
import dev.retort.verify.Expr.Pct;
import dev.retort.verify.Expr.Sym;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Decides whether two parsed answers are the same; the first argument is the reference (gold).
 *
 * <p>Semantics, in the order they are tried:
 * <ul>
 *   <li>Numbers compare exactly as rationals. A side written with a decimal point that is not
 *       exactly equal also matches when both round to the same value at {@code decimalPlaces}
 *       places (0.0833333 vs 1/12). Irrational values compare with a relative tolerance of 1e-9.
 *   <li>Expressions with variables: evaluation at 5 fixed pseudo-random points (exact rationals
 *       where possible), all must agree.
 *   <li>Equations are equal when one side-difference is a non-zero constant multiple of the other
 *       (x+y=1 vs 2x+2y=2); inequalities likewise with a positive multiple and the same
 *       strictness, or as intervals. {@code x = 3} matches {@code 3} (a label on the left); a
 *       predicted chain {@code 2+3 = 5} counts by its last side.
 *   <li>Tuples and intervals are ordered and their brackets must match; sets {..} are unordered.
 *       A bare list "a, b" is ordered (MATH's convention) unless it is a solution set: joined
 *       boxes, "or", ±, "x = 1, x = 2", or a list of tuples.
 *   <li>Percent: x% matches x and x/100. Degrees: x° matches x.
 * </ul>
 */
final class AnswerComparator {
  private static final Rational[] POINTS = {
    Rational.of(BigInteger.valueOf(13), BigInteger.valueOf(7)),
    Rational.of(BigInteger.valueOf(29), BigInteger.valueOf(11)),
    Rational.of(BigInteger.valueOf(7), BigInteger.valueOf(5)),
    Rational.of(BigInteger.valueOf(41), BigInteger.valueOf(17)),
    Rational.of(BigInteger.valueOf(17), BigInteger.valueOf(13)),
    Rational.of(BigInteger.valueOf(23), BigInteger.valueOf(9)),
    Rational.of(BigInteger.valueOf(31), BigInteger.valueOf(19)),
    Rational.of(BigInteger.valueOf(11), BigInteger.valueOf(3)),
    Rational.of(BigInteger.valueOf(37), BigInteger.valueOf(23)),
    Rational.of(BigInteger.valueOf(19), BigInteger.valueOf(8)),
    Rational.of(BigInteger.valueOf(5), BigInteger.valueOf(6)),
  };
  static final int SAMPLE_POINTS = 5;

  private final int decimalPlaces;
  private final Deadline deadline;
  private final Evaluator ev;

  AnswerComparator(int decimalPlaces, Deadline deadline) {
    this.decimalPlaces = decimalPlaces;
    this.deadline = deadline;
    this.ev = new Evaluator(deadline);
  }

  /** Gold first. {@code goldText}/{@code predText} are the cleaned strings, used for text answers. */
  boolean equal(Ans gold, Ans pred, String goldText, String predText) {
    if (gold instanceof Text || pred instanceof Text) {
      return textKey(goldText).equals(textKey(predText));
    }
    return eq(normalize(gold), normalize(pred));
  }

  // ---------------------------------------------------------------- normalization

  /** Expands ± into solution sets and flattens them into enclosing bare lists and sets. */
  private Ans normalize(Ans a) {
    deadline.check();
    if (a instanceof Scalar s) {
      if (!Expr.hasPlusMinus(s.expr())) {
        return a;
      }
      List<Expr> xs = Expr.expandPlusMinus(s.expr());
      if (xs.size() == 1) {
        return new Scalar(xs.get(0));
      }
      return new Group(' ', ' ', xs.stream().map(x -> (Ans) new Scalar(x)).toList(), true);
    } else if (a instanceof Group g) {
      List<Ans> items = new ArrayList<>();
      boolean unordered = g.unordered();
      for (Ans item : g.items()) {
        Ans n = normalize(item);
        if ((g.bare() || g.isSet()) && n instanceof Group ng && ng.bare() && ng.unordered() && item instanceof Scalar) {
          items.addAll(ng.items());
          unordered = true;
        } else {
          items.add(n);
        }
      }
      return new Group(g.open(), g.close(), List.copyOf(items), unordered);
    } else if (a instanceof Rel r) {
      return new Rel(r.sides().stream().map(this::normalize).toList(), r.ops());
    } else if (a instanceof Union u) {
      return new Union(u.parts().stream().map(this::normalize).toList());
    } else if (a instanceof Matrix m) {
      List<List<Ans>> rows = new ArrayList<>();
      for (List<Ans> row : m.rows()) {
        rows.add(row.stream().map(this::normalize).toList());
      }
      return new Matrix(rows);
    }
    return a;
  }

  // ---------------------------------------------------------------- dispatch

  boolean eq(Ans g, Ans p) {
    deadline.check();
    if (g.equals(p)) {
      return true;
    }
    if (g instanceof Rel gr) {
      if (p instanceof Rel pr) {
        return relEqual(gr, pr);
      }
      Ans v = labelValue(gr);
      if (v != null) {
        return eq(v, p);
      }
      Ans iv = intervalOf(gr);
      return iv != null && (p instanceof Group || p instanceof Union) && eq(iv, p);
    }
    if (p instanceof Rel pr) {
      Ans v = predValue(pr);
      if (v != null) {
        return eq(g, v);
      }
      Ans iv = intervalOf(pr);
      return iv != null && (g instanceof Group || g instanceof Union) && eq(g, iv);
    }
    if (g instanceof Scalar gs && p instanceof Scalar ps) {
      return scalarEqual(gs.expr(), ps.expr());
    }
    if (g instanceof Matrix || p instanceof Matrix) {
      return matrixEqual(g, p);
    }
    if (g instanceof Union || p instanceof Union) {
      List<Ans> gp = intervals(g);
      List<Ans> pp = intervals(p);
      return gp != null && pp != null && unorderedEqual(gp, pp, true);
    }
    if (g instanceof Group gg && p instanceof Group pg) {
      return groupEqual(gg, pg);
    }
    // A set against one value: {5} is 5, and so is {15 39/40, 639/40} (two spellings, one element).
    if (g instanceof Group gg && isSetLike(gg)) {
      return gg.items().stream().allMatch(x -> eq(x, p));
    }
    if (p instanceof Group pg && isSetLike(pg)) {
      return pg.items().stream().allMatch(x -> eq(g, x));
    }
    return false;
  }

  /** The pieces of a union, of "x < 1 or x > 2", or of a bracketed interval; null otherwise. */
  private static List<Ans> intervals(Ans a) {
    if (a instanceof Union u) {
      return u.parts();
    }
    if (a instanceof Group g && !g.bare()) {
      return List.of(g);
    }
    if (a instanceof Group g && g.unordered()) {
      List<Ans> out = new ArrayList<>();
      for (Ans item : g.items()) {
        List<Ans> sub = item instanceof Rel r ? (intervalOf(r) == null ? null : intervals(intervalOf(r))) : intervals(item);
        if (sub == null) {
          return null;
        }
        out.addAll(sub);
      }
      return out;
    }
    if (a instanceof Rel r && intervalOf(r) != null) {
      return intervals(intervalOf(r));
    }
    return null;
  }

  private static boolean isSetLike(Group g) {
    return !g.items().isEmpty() && (g.isSet() || (g.bare() && (g.unordered() || g.items().size() == 1)));
  }

  // ---------------------------------------------------------------- relations

  /** "x = 3", "f(x) = 3", "(p,q) = (3,2)", "x \in S", "1 = y = x = 0": the value the relation gives. */
  private static Ans labelValue(Rel r) {
    List<Ans> sides = r.sides();
    List<String> ops = r.ops();
    int cut = approxCut(ops);
    if (cut < ops.size()) {
      sides = sides.subList(0, cut + 1);
      ops = ops.subList(0, cut);
    }
    if (ops.isEmpty()) {
      return null;
    }
    boolean allEq = ops.stream().allMatch(o -> o.equals("="));
    boolean allApprox = ops.stream().allMatch(o -> o.equals("~"));
    if ((allEq || allApprox) && isLabel(sides.get(0))) {
      return sides.get(sides.size() - 1);
    }
    if (allEq && sides.size() >= 3) {
      return sides.get(sides.size() - 1);
    }
    if (ops.size() == 1 && ops.get(0).equals("in") && isLabel(sides.get(0))) {
      return sides.get(1);
    }
    return null;
  }

  /** "a = b ≈ c": drop everything from the first ≈ when an "=" comes before it. */
  private static int approxCut(List<String> ops) {
    int firstApprox = ops.indexOf("~");
    int firstEq = ops.indexOf("=");
    return firstApprox > 0 && firstEq >= 0 && firstEq < firstApprox ? firstApprox : ops.size();
  }

  /** A predicted "2+3 = 5" or "x ≈ 11" is read by its last side. */
  private static Ans predValue(Rel r) {
    Ans v = labelValue(r);
    if (v != null) {
      return v;
    }
    List<String> ops = r.ops();
    int cut = approxCut(ops);
    List<String> kept = ops.subList(0, cut);
    if (!kept.isEmpty() && kept.stream().allMatch(o -> o.equals("="))) {
      return r.sides().get(cut);
    }
    if (ops.stream().allMatch(o -> o.equals("~"))) {
      return r.sides().get(r.sides().size() - 1);
    }
    return null;
  }

  /** A name rather than a quantity: x, a_3, f(x), |AB|, A:B, \frac{NO}{BO}, (p, q). */
  static boolean isLabel(Ans a) {
    if (a instanceof Group g) {
      return !g.items().isEmpty() && g.items().stream().allMatch(AnswerComparator::isLabel);
    }
    return a instanceof Scalar s && isLabelExpr(s.expr());
  }

  private static boolean isLabelExpr(Expr e) {
    if (e instanceof Sym) {
      return true;
    }
    if (e instanceof Fn f) {
      return f.name().startsWith("@") && !f.name().equals("@base") || f.name().equals("abs") && isLabelExpr(f.args().get(0));
    }
    if (e instanceof Div d) {
      return isLabelExpr(d.num()) && isLabelExpr(d.den());
    }
    if (e instanceof Mul m) {
      return m.factors().stream().allMatch(AnswerComparator::isLabelExpr);
    }
    return false;
  }

  private boolean relEqual(Rel g, Rel p) {
    Ans gv = labelValue(g);
    Ans pv = predValue(p);
    if (gv != null && pv != null && eq(gv, pv)) {
      return true;
    }
    Ans gi = intervalOf(g);
    Ans pi = intervalOf(p);
    if (gi != null && pi != null) {
      return eq(gi, pi);
    }
    if (g.ops().size() == 1 && p.ops().size() == 1
        && g.sides().get(0) instanceof Scalar gl && g.sides().get(1) instanceof Scalar gr
        && p.sides().get(0) instanceof Scalar pl && p.sides().get(1) instanceof Scalar pr) {
      String go = g.ops().get(0);
      String po = p.ops().get(0);
      if (isEquality(go) && isEquality(po)) {
        if (!go.equals(po) && (go.equals("!=") || po.equals("!="))) {
          return false;
        }
        return proportional(diff(gl.expr(), gr.expr()), diff(pl.expr(), pr.expr()), false);
      }
      if (isInequality(go) && isInequality(po)) {
        if (strict(go) != strict(po)) {
          return false;
        }
        return proportional(positivePart(gl.expr(), go, gr.expr()), positivePart(pl.expr(), po, pr.expr()), true);
      }
      return false;
    }
    if (g.ops().equals(p.ops()) && g.sides().size() == p.sides().size()) {
      for (int k = 0; k < g.sides().size(); k++) {
        if (!eq(g.sides().get(k), p.sides().get(k))) {
          return false;
        }
      }
      return true;
    }
    return false;
  }

  private static boolean isEquality(String op) {
    return op.equals("=") || op.equals("!=") || op.equals("~");
  }

  private static boolean isInequality(String op) {
    return op.equals("<") || op.equals("<=") || op.equals(">") || op.equals(">=");
  }

  private static boolean strict(String op) {
    return op.equals("<") || op.equals(">");
  }

  private static Expr diff(Expr a, Expr b) {
    return new Expr.Add(List.of(a, Expr.neg(b)));
  }

  /** For "a < b" the quantity that is positive: b - a. */
  private static Expr positivePart(Expr l, String op, Expr r) {
    return op.startsWith("<") ? diff(r, l) : diff(l, r);
  }

  /**
   * The interval a one-variable inequality describes: "x > 2" is (2, ∞), "-1 ≤ x < 3" is [-1, 3),
   * "1 ≤ |z| ≤ 2" is [-2, -1] ∪ [1, 2]. Null for anything else.
   */
  private static Ans intervalOf(Rel r) {
    List<Ans> s = r.sides();
    List<String> ops = r.ops();
    if (ops.size() == 1 && ops.get(0).equals("in") && isLabel(s.get(0))) {
      return s.get(1);
    }
    if (!ops.stream().allMatch(AnswerComparator::isInequality)) {
      return null;
    }
    if (ops.size() == 1) {
      String op = ops.get(0);
      boolean varLeft = isLabel(s.get(0)) && isConstant(s.get(1));
      boolean varRight = isLabel(s.get(1)) && isConstant(s.get(0));
      if (!varLeft && !varRight) {
        return null;
      }
      Ans bound = varLeft ? s.get(1) : s.get(0);
      boolean upper = varLeft == op.startsWith("<");
      char closed = strict(op) ? '(' : '[';
      Scalar inf = new Scalar(new Const("inf"));
      Scalar ninf = new Scalar(Expr.neg(new Const("inf")));
      return upper
          ? new Group('(', strict(op) ? ')' : ']', List.of(ninf, bound), false)
          : new Group(closed, ')', List.of(bound, inf), false);
    }
    if (ops.size() == 2 && isLabel(s.get(1)) && isConstant(s.get(0)) && isConstant(s.get(2))) {
      boolean ascending = ops.get(0).startsWith("<") && ops.get(1).startsWith("<");
      boolean descending = ops.get(0).startsWith(">") && ops.get(1).startsWith(">");
      if (!ascending && !descending) {
        return null;
      }
      Ans lo = ascending ? s.get(0) : s.get(2);
      Ans hi = ascending ? s.get(2) : s.get(0);
      String loOp = ascending ? ops.get(0) : ops.get(1);
      String hiOp = ascending ? ops.get(1) : ops.get(0);
      char open = strict(loOp) ? '(' : '[';
      char close = strict(hiOp) ? ')' : ']';
      if (s.get(1) instanceof Scalar m && m.expr() instanceof Fn f && f.name().equals("abs")) {
        // a ≤ |z| ≤ b: two intervals, mirrored.
        Ans nlo = new Scalar(Expr.neg(((Scalar) hi).expr()));
        Ans nhi = new Scalar(Expr.neg(((Scalar) lo).expr()));
        return new Union(List.of(
            new Group(close == ')' ? '(' : '[', open == '(' ? ')' : ']', List.of(nlo, nhi), false),
            new Group(open, close, List.of(lo, hi), false)));
      }
      return new Group(open, close, List.of(lo, hi), false);
    }
    return null;
  }

  private static boolean isConstant(Ans a) {
    if (!(a instanceof Scalar s)) {
      return false;
    }
    Set<String> vars = new TreeSet<>();
    Expr.freeSymbols(s.expr(), vars);
    return vars.isEmpty() && !Expr.any(s.expr(), x -> x instanceof Fn f && f.name().startsWith("@"));
  }

  /** f1 = c * f2 for one constant c != 0 (c > 0 when {@code positive}) at every sample point. */
  private boolean proportional(Expr f1, Expr f2, boolean positive) {
    Set<String> vars = new TreeSet<>();
    Expr.freeSymbols(f1, vars);
    Expr.freeSymbols(f2, vars);
    Set<String> ints = integerSymbols(f1, f2);
    Num ratio = null;
    int valid = 0;
    int points = vars.isEmpty() ? 1 : SAMPLE_POINTS;
    for (int k = 0; k < points; k++) {
      Map<String, Num> env = point(k, vars, ints);
      Num a = ev.eval(f1, env);
      Num b = ev.eval(f2, env);
      if (a.isNaN() || b.isNaN() || !a.isFinite() || !b.isFinite()) {
        continue;
      }
      if (nearZero(b)) {
        if (!nearZero(a)) {
          return false;
        }
        valid++;
        continue;
      }
      Num r = a.divide(b);
      if (ratio == null) {
        if (nearZero(r) || (positive && !(r.isReal() && r.ar > 0))) {
          return false;
        }
        ratio = r;
      } else if (numEq(r, ratio, false) != Cmp.TRUE) {
        return false;
      }
      valid++;
    }
    return vars.isEmpty() ? valid == 1 && ratio != null : valid >= 2 && ratio != null;
  }

  private static boolean nearZero(Num v) {
    return v.isExact() ? v.isZero() : v.abs() < 1e-12;
  }

  // ---------------------------------------------------------------- scalars

  private boolean scalarEqual(Expr a, Expr b) {
    a = stripTop(a);
    b = stripTop(b);
    if (a.equals(b)) {
      return true;
    }
    if (a instanceof Pct pa && b instanceof Pct pb) {
      return scalarEqual(pa.arg(), pb.arg());
    }
    if (a instanceof Pct pa) {
      return numericEqual(pa.arg(), b) || numericEqual(a, b);
    }
    if (b instanceof Pct pb) {
      return numericEqual(a, pb.arg()) || numericEqual(a, b);
    }
    Boolean based = baseNumberEqual(a, b);
    if (based != null) {
      return based;
    }
    int ia = infinitySign(a);
    int ib = infinitySign(b);
    if (ia != 0 || ib != 0) {
      return ia == ib;
    }
    return numericEqual(a, b);
  }

  /** Degrees at the top of an answer are just the number (90° = 90). */
  private static Expr stripTop(Expr e) {
    while (e instanceof Deg d) {
      e = d.arg();
    }
    return e;
  }

  /** "204_5" equals "204_5" and the bare digits "204"; other comparisons by value are refused. */
  private static Boolean baseNumberEqual(Expr a, Expr b) {
    boolean ba = a instanceof Fn fa && fa.name().equals("@base");
    boolean bb = b instanceof Fn fb && fb.name().equals("@base");
    if (!ba && !bb) {
      return null;
    }
    if (ba && bb) {
      return a.equals(b);
    }
    Fn based = (Fn) (ba ? a : b);
    Expr other = ba ? b : a;
    return other instanceof Lit l && l.equals(based.args().get(0));
  }

  private static int infinitySign(Expr e) {
    if (e instanceof Const c && c.name().equals("inf")) {
      return 1;
    }
    if (e instanceof Neg n) {
      return -infinitySign(n.arg());
    }
    return 0;
  }

  boolean numericEqual(Expr a, Expr b) {
    Set<String> vars = new TreeSet<>();
    Expr.freeSymbols(a, vars);
    Expr.freeSymbols(b, vars);
    if (vars.isEmpty()) {
      boolean decimal = Expr.hasDecimal(a) || Expr.hasDecimal(b);
      Num x = ev.eval(a, Map.of());
      Num y = ev.eval(b, Map.of());
      return numEq(x, y, decimal) == Cmp.TRUE;
    }
    Set<String> ints = integerSymbols(a, b);
    int valid = 0;
    for (int k = 0; k < SAMPLE_POINTS; k++) {
      Map<String, Num> env = point(k, vars, ints);
      Cmp c = numEq(ev.eval(a, env), ev.eval(b, env), false);
      if (c == Cmp.FALSE) {
        return false;
      }
      if (c == Cmp.TRUE) {
        valid++;
      }
    }
    return valid >= 2;
  }

  /** Symbols that must take integer values: bounds of sums, factorial and binomial arguments, indices. */
  private static Set<String> integerSymbols(Expr a, Expr b) {
    Set<String> out = new TreeSet<>();
    collectIntegerSymbols(a, out, false);
    collectIntegerSymbols(b, out, false);
    return out;
  }

  private static void collectIntegerSymbols(Expr e, Set<String> out, boolean integer) {
    if (e instanceof Sym s) {
      if (integer) {
        out.add(s.name());
      }
      return;
    }
    if (e instanceof Expr.BigOp b) {
      collectIntegerSymbols(b.lo(), out, true);
      collectIntegerSymbols(b.hi(), out, true);
      collectIntegerSymbols(b.body(), out, integer);
      return;
    }
    boolean inner = integer || e instanceof Fn f && (f.name().equals("fact") || f.name().equals("binom")
        || (f.name().startsWith("@") && f.name().endsWith("_")));
    for (Expr c : Expr.children(e)) {
      collectIntegerSymbols(c, out, inner);
    }
  }

  private static Map<String, Num> point(int k, Set<String> vars, Set<String> ints) {
    Map<String, Num> env = new HashMap<>();
    int j = 0;
    for (String v : vars) {
      if (ints.contains(v)) {
        env.put(v, Num.exact(Rational.of(3 + (k * 3 + j * 2) % 7)));
      } else {
        env.put(v, Num.exact(POINTS[(k * 4 + j * 3 + 1) % POINTS.length]));
      }
      j++;
    }
    return env;
  }

  enum Cmp { TRUE, FALSE, INVALID }

  Cmp numEq(Num x, Num y, boolean decimal) {
    if (x.isNaN() || y.isNaN()) {
      return Cmp.INVALID;
    }
    if (x.isExact() && y.isExact()) {
      if (x.re.equals(y.re) && x.im.equals(y.im)) {
        return Cmp.TRUE;
      }
      if (!decimal) {
        return Cmp.FALSE;
      }
    }
    if (!x.isFinite() || !y.isFinite()) {
      return Cmp.FALSE;
    }
    double d = Math.hypot(x.ar - y.ar, x.ai - y.ai);
    double scale = Math.max(x.abs(), y.abs());
    boolean exactZero = (x.isExact() && x.isZero()) || (y.isExact() && y.isZero());
    if (!(x.isExact() && y.isExact()) && (d <= 1e-9 * scale || (exactZero && d <= 1e-12))) {
      return Cmp.TRUE;
    }
    if (decimal && roundsEqual(x, y)) {
      return Cmp.TRUE;
    }
    return Cmp.FALSE;
  }

  /** Both sides round to the same number at {@code decimalPlaces}, and are not two tiny numbers that only agree because both round to zero. */
  private boolean roundsEqual(Num x, Num y) {
    BigDecimal xr = round(x.re, x.ar);
    BigDecimal yr = round(y.re, y.ar);
    BigDecimal xi = round(x.im, x.ai);
    BigDecimal yi = round(y.im, y.ai);
    if (xr.compareTo(yr) != 0 || xi.compareTo(yi) != 0) {
      return false;
    }
    if (xr.signum() == 0 && xi.signum() == 0) {
      double scale = Math.max(x.abs(), y.abs());
      return scale == 0 || Math.hypot(x.ar - y.ar, x.ai - y.ai) <= 1e-6 * scale;
    }
    return true;
  }

  private BigDecimal round(Rational exact, double approx) {
    if (exact != null) {
      return exact.round(decimalPlaces);
    }
    return new BigDecimal(approx).setScale(decimalPlaces, RoundingMode.HALF_UP);
  }

  // ---------------------------------------------------------------- collections

  private boolean groupEqual(Group g, Group p) {
    Labelled gl = labelled(g);
    Labelled pl = labelled(p);
    if (gl != null && pl != null && gl.byLabel() != null && pl.byLabel() != null
        && gl.byLabel().keySet().equals(pl.byLabel().keySet())) {
      for (Map.Entry<String, Ans> e : gl.byLabel().entrySet()) {
        if (!eq(e.getValue(), pl.byLabel().get(e.getKey()))) {
          return false;
        }
      }
      return true;
    }
    if (gl != null) {
      g = gl.values();
    }
    if (pl != null) {
      p = pl.values();
    }
    List<Ans> gi = g.items();
    List<Ans> pi = p.items();
    boolean gTuple = !g.bare() && !g.isSet();
    boolean pTuple = !p.bare() && !p.isSet();
    if (gTuple && pTuple) {
      return g.open() == p.open() && g.close() == p.close() && orderedEqual(gi, pi);
    }
    if (g.isSet() && p.isSet()) {
      return unorderedEqual(gi, pi, true);
    }
    if (g.isSet() || p.isSet()) {
      Group other = g.isSet() ? p : g;
      // A tuple against a set compares in written order; a bare list against a set as a set.
      return other.bare() ? unorderedEqual(gi, pi, true) : orderedEqual(gi, pi);
    }
    if (gTuple || pTuple) {
      Group tuple = gTuple ? g : p;
      return tuple.open() == '(' && tuple.close() == ')' && orderedEqual(gi, pi);
    }
    boolean unordered = g.unordered() || p.unordered() || hasCollections(gi) || hasCollections(pi);
    return unordered ? unorderedEqual(gi, pi, true) : orderedEqual(gi, pi);
  }

  private static boolean hasCollections(List<Ans> items) {
    return items.stream().anyMatch(a -> a instanceof Group || a instanceof Union);
  }

  private boolean orderedEqual(List<Ans> a, List<Ans> b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int k = 0; k < a.size(); k++) {
      if (!eq(a.get(k), b.get(k))) {
        return false;
      }
    }
    return true;
  }

  /**
   * Same elements regardless of order. With {@code asSets} duplicates do not count ({1,1,2} =
   * {1,2}); otherwise sizes must agree and matching is one to one.
   */
  private boolean unorderedEqual(List<Ans> a, List<Ans> b, boolean asSets) {
    if (!asSets && a.size() != b.size()) {
      return false;
    }
    if (a.size() > 200 || b.size() > 200) {
      return false;
    }
    if (asSets) {
      return covers(a, b) && covers(b, a);
    }
    boolean[] used = new boolean[b.size()];
    outer:
    for (Ans x : a) {
      for (int k = 0; k < b.size(); k++) {
        if (!used[k] && eq(x, b.get(k))) {
          used[k] = true;
          continue outer;
        }
      }
      return false;
    }
    return true;
  }

  private boolean covers(List<Ans> a, List<Ans> b) {
    outer:
    for (Ans x : a) {
      for (Ans y : b) {
        if (eq(x, y)) {
          continue outer;
        }
      }
      return false;
    }
    return true;
  }

  /**
   * A list of labelled values. "x = 1, x = 2" (one label) is the solution set {1, 2};
   * "a = 1, b = 2" can be matched by label; "a = 4, -8, -10" is the values of a.
   */
  record Labelled(Map<String, Ans> byLabel, Group values) {}

  private static Labelled labelled(Group g) {
    if (!g.bare() || g.items().isEmpty() || !(g.items().get(0) instanceof Rel)) {
      return null;
    }
    List<Ans> values = new ArrayList<>();
    Map<String, Ans> byLabel = new LinkedHashMap<>();
    Set<String> labels = new TreeSet<>();
    boolean allLabelled = true;
    for (Ans item : g.items()) {
      if (item instanceof Rel r && labelValue(r) != null && isLabel(r.sides().get(0))) {
        Ans v = labelValue(r);
        String label = r.sides().get(0).toString();
        labels.add(label);
        byLabel.put(label, v);
        if (v instanceof Group vg && vg.bare() && vg.unordered()) {
          values.addAll(vg.items());
        } else {
          values.add(v);
        }
      } else if (item instanceof Rel) {
        return null;
      } else {
        allLabelled = false;
        values.add(item);
      }
    }
    boolean solutionSet = !allLabelled || labels.size() == 1 || g.unordered();
    boolean distinct = allLabelled && labels.size() == g.items().size();
    return new Labelled(distinct ? byLabel : null, new Group(' ', ' ', List.copyOf(values), solutionSet));
  }

  private boolean matrixEqual(Ans g, Ans p) {
    if (g instanceof Matrix gm && p instanceof Matrix pm) {
      if (gm.rows().size() != pm.rows().size()) {
        return false;
      }
      for (int r = 0; r < gm.rows().size(); r++) {
        if (!orderedEqual(gm.rows().get(r), pm.rows().get(r))) {
          return false;
        }
      }
      return true;
    }
    // A vector written as a matrix against the same vector written as a tuple.
    Matrix m = (Matrix) (g instanceof Matrix ? g : p);
    Ans other = g instanceof Matrix ? p : g;
    if (!(other instanceof Group og) || og.isSet()) {
      return false;
    }
    List<Ans> flat = new ArrayList<>();
    boolean column = m.rows().stream().allMatch(r -> r.size() == 1);
    if (!column && m.rows().size() != 1) {
      return false;
    }
    for (List<Ans> r : m.rows()) {
      flat.addAll(r);
    }
    return g instanceof Matrix ? orderedEqual(flat, og.items()) : orderedEqual(og.items(), flat);
  }

  // ---------------------------------------------------------------- text

  /** Case-folded text without markup, spaces and punctuation: "\text{(C)}" -> "c". */
  static String textKey(String s) {
    String t = s.replaceAll("\\\\[a-zA-Z]+\\s*", "").strip().replaceFirst("(?i)^(?:an?|the)\\s+", "");
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      if (Character.isWhitespace(c) || "{}()$.,;:'\"*\\".indexOf(c) >= 0) {
        continue;
      }
      b.append(Character.toLowerCase(c));
    }
    return b.toString();
  }
}
