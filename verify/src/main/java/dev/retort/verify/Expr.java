package dev.retort.verify;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Scalar expression tree built by {@link MathParser}. Records give structural equality for free:
 * two answers that parse to equal trees are equal without evaluating anything.
 */
sealed interface Expr {

  /** A number literal; {@code decimal} when it was written with a fractional part ("0.5"). */
  record Lit(Rational value, boolean decimal) implements Expr {}

  /** A free variable ("x", "a_1", "\alpha"). */
  record Sym(String name) implements Expr {}

  /** A named constant: "pi", "e", "i" (imaginary unit) or "inf". */
  record Const(String name) implements Expr {}

  record Add(List<Expr> terms) implements Expr {}

  record Mul(List<Expr> factors) implements Expr {}

  record Neg(Expr arg) implements Expr {}

  record Div(Expr num, Expr den) implements Expr {}

  record Pow(Expr base, Expr exp) implements Expr {}

  /**
   * Function application. Built-ins use their LaTeX name without backslash ("sin", "sqrt",
   * "root" (degree, radicand), "log" (base, arg), "abs", "floor", "fact", "binom", ...). Names that
   * start with '@' are unknown functions such as f(x) or indexed symbols a_{n}: they evaluate to a
   * pseudo-random value keyed by name and arguments, so f(2) equals f(2) and differs from f(3).
   */
  record Fn(String name, List<Expr> args) implements Expr {}

  /** {@code left ± right}; left is null for a leading {@code \pm}. */
  record PlusMinus(Expr left, Expr right, boolean minusPlus) implements Expr {}

  /** {@code x%}: x/100 inside arithmetic; at the top of an answer the comparator decides. */
  record Pct(Expr arg) implements Expr {}

  /** {@code x^\circ}: x itself, except inside trigonometric functions where it means radians*pi/180. */
  record Deg(Expr arg) implements Expr {}

  /** \sum or \prod over an integer range. */
  record BigOp(boolean product, String var, Expr lo, Expr hi, Expr body) implements Expr {}

  static Expr neg(Expr e) {
    if (e instanceof Lit l) {
      return new Lit(l.value().negate(), l.decimal());
    }
    return new Neg(e);
  }

  /** Applies f to each direct child and rebuilds the node. */
  static Expr map(Expr e, Function<Expr, Expr> f) {
    if (e instanceof Add a) {
      return new Add(a.terms().stream().map(f).toList());
    } else if (e instanceof Mul m) {
      return new Mul(m.factors().stream().map(f).toList());
    } else if (e instanceof Neg n) {
      return new Neg(f.apply(n.arg()));
    } else if (e instanceof Div d) {
      return new Div(f.apply(d.num()), f.apply(d.den()));
    } else if (e instanceof Pow p) {
      return new Pow(f.apply(p.base()), f.apply(p.exp()));
    } else if (e instanceof Fn fn) {
      return new Fn(fn.name(), fn.args().stream().map(f).toList());
    } else if (e instanceof PlusMinus pm) {
      return new PlusMinus(pm.left() == null ? null : f.apply(pm.left()), f.apply(pm.right()), pm.minusPlus());
    } else if (e instanceof Pct p) {
      return new Pct(f.apply(p.arg()));
    } else if (e instanceof Deg d) {
      return new Deg(f.apply(d.arg()));
    } else if (e instanceof BigOp b) {
      return new BigOp(b.product(), b.var(), f.apply(b.lo()), f.apply(b.hi()), f.apply(b.body()));
    }
    return e;
  }

  static List<Expr> children(Expr e) {
    List<Expr> out = new ArrayList<>();
    map(e, c -> {
      out.add(c);
      return c;
    });
    return out;
  }

  static void freeSymbols(Expr e, Set<String> out) {
    if (e instanceof Sym s) {
      out.add(s.name());
    } else if (e instanceof BigOp b) {
      freeSymbols(b.lo(), out);
      freeSymbols(b.hi(), out);
      Set<String> inner = new java.util.HashSet<>();
      freeSymbols(b.body(), inner);
      inner.remove(b.var());
      out.addAll(inner);
    } else {
      for (Expr c : children(e)) {
        freeSymbols(c, out);
      }
    }
  }

  static boolean any(Expr e, java.util.function.Predicate<Expr> p) {
    if (p.test(e)) {
      return true;
    }
    for (Expr c : children(e)) {
      if (any(c, p)) {
        return true;
      }
    }
    return false;
  }

  static boolean hasDecimal(Expr e) {
    return any(e, x -> x instanceof Lit l && l.decimal());
  }

  static boolean hasPlusMinus(Expr e) {
    return any(e, x -> x instanceof PlusMinus);
  }

  /**
   * Expands every ± into its two branches ({@code 1 ± √5} becomes {@code [1+√5, 1-√5]}). Capped:
   * an answer with more than 4 ± signs keeps only the first 16 combinations.
   */
  static List<Expr> expandPlusMinus(Expr e) {
    if (!hasPlusMinus(e)) {
      return List.of(e);
    }
    if (e instanceof PlusMinus pm) {
      List<Expr> out = new ArrayList<>();
      for (Expr r : expandPlusMinus(pm.right())) {
        Expr plus = r;
        Expr minus = neg(r);
        if (pm.minusPlus()) {
          Expr t = plus;
          plus = minus;
          minus = t;
        }
        if (pm.left() == null) {
          out.add(plus);
          out.add(minus);
        } else {
          for (Expr l : expandPlusMinus(pm.left())) {
            out.add(new Add(List.of(l, plus)));
            out.add(new Add(List.of(l, minus)));
          }
        }
      }
      return cap(out);
    }
    // Expand the first child that holds a ±, then recurse on each result.
    List<Expr> kids = children(e);
    for (int i = 0; i < kids.size(); i++) {
      if (hasPlusMinus(kids.get(i))) {
        Expr target = kids.get(i);
        List<Expr> out = new ArrayList<>();
        for (Expr variant : expandPlusMinus(target)) {
          int[] seen = {0};
          Expr replaced = map(e, c -> c == target && seen[0]++ == 0 ? variant : c);
          out.addAll(expandPlusMinus(replaced));
        }
        return cap(out);
      }
    }
    return List.of(e);
  }

  private static List<Expr> cap(List<Expr> xs) {
    return xs.size() > 16 ? new ArrayList<>(xs.subList(0, 16)) : xs;
  }
}
