package dev.retort.verify;

import dev.retort.verify.Expr.Add;
import dev.retort.verify.Expr.BigOp;
import dev.retort.verify.Expr.Const;
import dev.retort.verify.Expr.Deg;
import dev.retort.verify.Expr.Div;
import dev.retort.verify.Expr.Fn;
import dev.retort.verify.Expr.Lit;
import dev.retort.verify.Expr.Mul;
import dev.retort.verify.Expr.Neg;
import dev.retort.verify.Expr.Pct;
import dev.retort.verify.Expr.Pow;
import dev.retort.verify.Expr.Sym;
import java.math.BigInteger;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluates an {@link Expr} at one assignment of its free symbols.
 *
 * <p>Exact (Gaussian rational) where the operations allow it: + - * /, integer powers, roots of
 * perfect powers, factorials and binomials of integers. Everything else (pi, e, trig, logs,
 * irrational roots) goes to doubles. Sizes are bounded so that "2^{10^9}" or "100000!" cannot eat
 * the time budget: past the bounds the value is approximated, and the {@link Deadline} is checked
 * on every node.
 */
final class Evaluator {
  static final int MAX_EXACT_FACTORIAL = 10_000;
  static final int MAX_POW_EXPONENT = 100_000;
  static final int MAX_BIGOP_TERMS = 10_000;

  private final Deadline deadline;

  Evaluator(Deadline deadline) {
    this.deadline = deadline;
  }

  Num eval(Expr e, Map<String, Num> env) {
    deadline.check();
    if (e instanceof Lit l) {
      return Num.exact(l.value());
    } else if (e instanceof Sym s) {
      Num v = env.get(s.name());
      return v == null ? Num.NAN : v;
    } else if (e instanceof Const c) {
      return switch (c.name()) {
        case "pi" -> Num.real(Math.PI);
        case "e" -> Num.real(Math.E);
        case "i" -> Num.I;
        case "inf" -> Num.real(Double.POSITIVE_INFINITY);
        default -> Num.NAN;
      };
    } else if (e instanceof Add a) {
      Num acc = Num.ZERO;
      for (Expr t : a.terms()) {
        acc = acc.add(eval(t, env));
      }
      return acc;
    } else if (e instanceof Mul m) {
      Num acc = Num.ONE;
      for (Expr f : m.factors()) {
        acc = acc.multiply(eval(f, env));
      }
      return acc;
    } else if (e instanceof Neg n) {
      return eval(n.arg(), env).negate();
    } else if (e instanceof Div d) {
      return eval(d.num(), env).divide(eval(d.den(), env));
    } else if (e instanceof Pow p) {
      return pow(eval(p.base(), env), eval(p.exp(), env));
    } else if (e instanceof Pct p) {
      return eval(p.arg(), env).divide(Num.exact(Rational.HUNDRED));
    } else if (e instanceof Deg d) {
      return eval(d.arg(), env);
    } else if (e instanceof Fn f) {
      return call(f, env);
    } else if (e instanceof BigOp b) {
      return bigOp(b, env);
    }
    // PlusMinus is expanded before evaluation; reaching it here means "no single value".
    return Num.NAN;
  }

  private Num bigOp(BigOp b, Map<String, Num> env) {
    Num lo = eval(b.lo(), env);
    Num hi = eval(b.hi(), env);
    if (!lo.isExactInteger() || !hi.isExactInteger()) {
      return Num.NAN;
    }
    BigInteger from = lo.re.num;
    BigInteger to = hi.re.num;
    if (to.subtract(from).compareTo(BigInteger.valueOf(MAX_BIGOP_TERMS)) > 0) {
      return Num.NAN;
    }
    Num acc = b.product() ? Num.ONE : Num.ZERO;
    Map<String, Num> inner = new HashMap<>(env);
    for (BigInteger k = from; k.compareTo(to) <= 0; k = k.add(BigInteger.ONE)) {
      deadline.check();
      inner.put(b.var(), Num.exact(Rational.of(k)));
      Num v = eval(b.body(), inner);
      acc = b.product() ? acc.multiply(v) : acc.add(v);
    }
    return acc;
  }

  Num pow(Num a, Num b) {
    if (a.isNaN() || b.isNaN()) {
      return Num.NAN;
    }
    if (b.isExact() && b.im.signum() == 0) {
      Rational x = b.re;
      if (x.isInteger() && x.num.abs().compareTo(BigInteger.valueOf(MAX_POW_EXPONENT)) <= 0) {
        return intPow(a, x.num.intValue());
      }
      if (!x.isInteger() && x.den.compareTo(BigInteger.valueOf(64)) <= 0
          && x.num.abs().compareTo(BigInteger.valueOf(MAX_POW_EXPONENT)) <= 0
          && a.isExact() && a.im.signum() == 0) {
        int q = x.den.intValue();
        int p = x.num.intValue();
        Rational r = a.re.root(q);
        if (r != null) {
          return intPow(Num.exact(r), p);
        }
        if (a.re.signum() < 0 && q % 2 == 1) {
          // Real odd roots of negatives: (-8)^(1/3) = -2, the convention of school algebra.
          double m = Math.pow(-a.re.toDouble(), (double) p / q);
          return Num.real(p % 2 == 0 ? m : -m);
        }
        if (a.re.signum() < 0 && q == 2) {
          Rational s = a.re.negate().root(2);
          Num unit = s == null ? Num.approx(0, Math.sqrt(-a.re.toDouble())) : Num.exact(Rational.ZERO, s);
          return intPow(unit, p);
        }
      }
    }
    if (a.isReal() && b.isReal()) {
      double base = a.ar;
      double ex = b.ar;
      if (base > 0 || (base == 0 && ex > 0)) {
        return Num.real(Math.pow(base, ex));
      }
      if (base == 0) {
        return Num.NAN;
      }
      if (ex == Math.rint(ex)) {
        return Num.real(Math.pow(base, ex));
      }
    }
    if (a.isZero()) {
      return Num.NAN;
    }
    return a.log().multiply(b).exp();
  }

  private Num intPow(Num a, int n) {
    if (n == 0) {
      return a.isZero() ? Num.NAN : Num.ONE;
    }
    if (n < 0) {
      Num p = intPow(a, -n);
      return p.isNaN() ? p : Num.ONE.divide(p);
    }
    if (a.isExact()) {
      long bits = a.re.bits() + a.im.bits();
      if (bits * (long) n <= Num.MAX_BITS) {
        if (a.im.signum() == 0) {
          return Num.exact(a.re.pow(n));
        }
        Num result = Num.ONE;
        Num base = a;
        for (int k = n; k > 0; k >>= 1) {
          deadline.check();
          if ((k & 1) == 1) {
            result = result.multiply(base);
          }
          if (k > 1) {
            base = base.multiply(base);
          }
        }
        return result;
      }
    }
    if (a.isReal()) {
      return Num.real(Math.pow(a.ar, n));
    }
    return a.log().multiply(Num.exact(Rational.of(n))).exp();
  }

  private Num call(Fn f, Map<String, Num> env) {
    String name = f.name();
    List<Expr> args = f.args();
    if (name.startsWith("@")) {
      return unknownFunction(name, args, env);
    }
    switch (name) {
      case "sqrt":
        return pow(eval(args.get(0), env), Num.exact(Rational.of(BigInteger.ONE, BigInteger.TWO)));
      case "root": {
        Num n = eval(args.get(0), env);
        if (n.isZero() || n.isNaN()) {
          return Num.NAN;
        }
        return pow(eval(args.get(1), env), Num.ONE.divide(n));
      }
      case "abs": {
        Num v = eval(args.get(0), env);
        if (v.isExact() && v.im.signum() == 0) {
          return Num.exact(v.re.abs());
        }
        if (v.isExact() && v.re.signum() == 0) {
          return Num.exact(v.im.abs());
        }
        return Num.real(v.abs());
      }
      case "fact":
        return factorial(eval(args.get(0), env));
      case "binom":
        return binomial(eval(args.get(0), env), eval(args.get(1), env));
      case "log":
        if (args.size() == 2) {
          Num base = eval(args.get(0), env).log();
          Num x = eval(args.get(1), env).log();
          return x.divide(base);
        }
        return eval(args.get(0), env).log();
      case "exp":
        return eval(args.get(0), env).exp();
      case "floor":
      case "ceil":
      case "round": {
        Num v = eval(args.get(0), env);
        if (!v.isReal()) {
          return Num.NAN;
        }
        if (v.isExact()) {
          BigInteger[] qr = v.re.num.divideAndRemainder(v.re.den);
          BigInteger q = qr[0];
          if (qr[1].signum() != 0) {
            boolean negative = v.re.signum() < 0;
            if (name.equals("floor") && negative) {
              q = q.subtract(BigInteger.ONE);
            } else if (name.equals("ceil") && !negative) {
              q = q.add(BigInteger.ONE);
            } else if (name.equals("round")) {
              q = v.re.round(0).toBigInteger();
            }
          }
          return Num.exact(Rational.of(q));
        }
        double d = name.equals("floor") ? Math.floor(v.ar) : name.equals("ceil") ? Math.ceil(v.ar) : Math.rint(v.ar);
        return Num.real(d);
      }
      case "max":
      case "min": {
        Num best = null;
        for (Expr a : args) {
          Num v = eval(a, env);
          if (!v.isReal()) {
            return Num.NAN;
          }
          if (best == null || (name.equals("max") ? v.ar > best.ar : v.ar < best.ar)) {
            best = v;
          }
        }
        return best == null ? Num.NAN : best;
      }
      case "gcd":
      case "lcm": {
        BigInteger acc = null;
        for (Expr a : args) {
          Num v = eval(a, env);
          if (!v.isExactInteger()) {
            return Num.NAN;
          }
          BigInteger x = v.re.num.abs();
          if (acc == null) {
            acc = x;
          } else if (name.equals("gcd")) {
            acc = acc.gcd(x);
          } else {
            acc = acc.signum() == 0 || x.signum() == 0 ? BigInteger.ZERO : acc.multiply(x).divide(acc.gcd(x));
          }
        }
        return acc == null ? Num.NAN : Num.exact(Rational.of(acc));
      }
      default:
        return realFunction(name, eval(args.get(0), env), Expr.any(args.get(0), x -> x instanceof Deg));
    }
  }

  private static Num realFunction(String name, Num v, boolean degrees) {
    if (v.isNaN() || !v.isReal()) {
      return Num.NAN;
    }
    double x = v.ar;
    if (degrees) {
      x = Math.toRadians(x);
    }
    double r = switch (name) {
      case "sin" -> Math.sin(x);
      case "cos" -> Math.cos(x);
      case "tan" -> Math.tan(x);
      case "cot" -> 1 / Math.tan(x);
      case "sec" -> 1 / Math.cos(x);
      case "csc" -> 1 / Math.sin(x);
      case "arcsin" -> Math.asin(x);
      case "arccos" -> Math.acos(x);
      case "arctan" -> Math.atan(x);
      case "arccot" -> Math.atan(1 / x);
      case "sinh" -> Math.sinh(x);
      case "cosh" -> Math.cosh(x);
      case "tanh" -> Math.tanh(x);
      case "sgn" -> Math.signum(x);
      default -> Double.NaN;
    };
    return Num.real(r);
  }

  private Num factorial(Num v) {
    if (v.isExactInteger() && v.re.signum() >= 0) {
      BigInteger n = v.re.num;
      if (n.compareTo(BigInteger.valueOf(MAX_EXACT_FACTORIAL)) <= 0) {
        int k = n.intValue();
        if ((long) k * 14 > Num.MAX_BITS) {
          return Num.real(Double.POSITIVE_INFINITY);
        }
        BigInteger acc = BigInteger.ONE;
        for (int i = 2; i <= k; i++) {
          deadline.check();
          acc = acc.multiply(BigInteger.valueOf(i));
        }
        return Num.exact(Rational.of(acc));
      }
      // Too big to hold exactly: an infinity never compares equal to anything (see comparator).
      return Num.real(Double.POSITIVE_INFINITY);
    }
    if (v.isReal() && v.ar > -1 && v.ar < 170) {
      return Num.real(gamma(v.ar + 1));
    }
    return Num.NAN;
  }

  private Num binomial(Num n, Num k) {
    if (n.isExactInteger() && k.isExactInteger()) {
      BigInteger nn = n.re.num;
      BigInteger kk = k.re.num;
      if (kk.signum() < 0 || (nn.signum() >= 0 && kk.compareTo(nn) > 0)) {
        return Num.ZERO;
      }
      if (kk.compareTo(BigInteger.valueOf(MAX_EXACT_FACTORIAL)) > 0) {
        return Num.NAN;
      }
      int kInt = kk.intValue();
      Rational acc = Rational.ONE;
      for (int i = 0; i < kInt; i++) {
        deadline.check();
        acc = acc.multiply(Rational.of(nn.subtract(BigInteger.valueOf(i)), BigInteger.valueOf(i + 1L)));
      }
      return Num.exact(acc);
    }
    if (n.isReal() && k.isReal()) {
      return Num.real(gamma(n.ar + 1) / (gamma(k.ar + 1) * gamma(n.ar - k.ar + 1)));
    }
    return Num.NAN;
  }

  /** Lanczos approximation (g=7, n=9); only reached for non-integer factorials. */
  private static double gamma(double x) {
    if (x < 0.5) {
      return Math.PI / (Math.sin(Math.PI * x) * gamma(1 - x));
    }
    double[] c = {0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
        -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
        1.5056327351493116e-7};
    x -= 1;
    double a = c[0];
    double t = x + 7.5;
    for (int i = 1; i < 9; i++) {
      a += c[i] / (x + i);
    }
    return Math.sqrt(2 * Math.PI) * Math.pow(t, x + 0.5) * Math.exp(-t) * a;
  }

  /**
   * f(x), a_{n}: a deterministic pseudo-random exact value per (name, argument values), so that
   * equal arguments give equal values on both sides and different arguments almost surely differ.
   */
  private Num unknownFunction(String name, List<Expr> args, Map<String, Num> env) {
    long h = name.hashCode();
    for (Expr a : args) {
      Num v = eval(a, env);
      if (!v.isFinite()) {
        return Num.NAN;
      }
      String key = v.isExact() ? v.toString() : String.format("%.9g|%.9g", v.ar, v.ai);
      h = h * 1_000_003L + key.hashCode();
    }
    h ^= (h >>> 29);
    h *= 0x9E3779B97F4A7C15L;
    long numerator = 1000 + Math.floorMod(h >>> 7, 9000L);
    return Num.exact(Rational.of(BigInteger.valueOf(numerator), BigInteger.valueOf(997)));
  }
}
