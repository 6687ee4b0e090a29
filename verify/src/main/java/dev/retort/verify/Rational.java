package dev.retort.verify;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Exact rational number over BigInteger, always reduced with a positive denominator.
 *
 * <p>Exactness is the point: {@code 1/2004!} and {@code 1/2006!} are both 0.0 as doubles, and a
 * verifier that compares doubles calls them equal. Callers bound the sizes they build (see
 * {@link Evaluator}) so that arithmetic here stays cheap.
 */
final class Rational implements Comparable<Rational> {
  static final Rational ZERO = new Rational(BigInteger.ZERO, BigInteger.ONE);
  static final Rational ONE = new Rational(BigInteger.ONE, BigInteger.ONE);
  static final Rational HUNDRED = new Rational(BigInteger.valueOf(100), BigInteger.ONE);

  final BigInteger num;
  final BigInteger den;

  private Rational(BigInteger num, BigInteger den) {
    this.num = num;
    this.den = den;
  }

  static Rational of(long n) {
    return new Rational(BigInteger.valueOf(n), BigInteger.ONE);
  }

  static Rational of(BigInteger n) {
    return new Rational(n, BigInteger.ONE);
  }

  static Rational of(BigInteger n, BigInteger d) {
    if (d.signum() == 0) {
      throw new ArithmeticException("division by zero");
    }
    if (d.signum() < 0) {
      n = n.negate();
      d = d.negate();
    }
    BigInteger g = n.gcd(d);
    if (!g.equals(BigInteger.ONE) && g.signum() != 0) {
      n = n.divide(g);
      d = d.divide(g);
    }
    if (n.signum() == 0) {
      d = BigInteger.ONE;
    }
    return new Rational(n, d);
  }

  /**
   * Parses a plain decimal literal: digits with an optional fractional part ("12", "0.50", ".5",
   * "1000.0") and an optional leading minus. Leading zeros are allowed ("016" is 16).
   */
  static Rational parseDecimal(String s) {
    BigDecimal d = new BigDecimal(s.startsWith(".") ? "0" + s : s);
    if (d.scale() <= 0) {
      return of(d.toBigIntegerExact());
    }
    return of(d.unscaledValue(), BigInteger.TEN.pow(d.scale()));
  }

  boolean isInteger() {
    return den.equals(BigInteger.ONE);
  }

  int signum() {
    return num.signum();
  }

  /** Combined size in bits; used to refuse arithmetic that would blow up. */
  long bits() {
    return (long) num.bitLength() + den.bitLength();
  }

  Rational add(Rational o) {
    if (den.equals(o.den)) {
      return of(num.add(o.num), den);
    }
    return of(num.multiply(o.den).add(o.num.multiply(den)), den.multiply(o.den));
  }

  Rational subtract(Rational o) {
    return add(o.negate());
  }

  Rational multiply(Rational o) {
    return of(num.multiply(o.num), den.multiply(o.den));
  }

  Rational divide(Rational o) {
    return of(num.multiply(o.den), den.multiply(o.num));
  }

  Rational negate() {
    return new Rational(num.negate(), den);
  }

  Rational abs() {
    return num.signum() < 0 ? negate() : this;
  }

  Rational pow(int e) {
    if (e >= 0) {
      return new Rational(num.pow(e), den.pow(e));
    }
    return of(den.pow(-e), num.pow(-e));
  }

  /** The exact k-th root when numerator and denominator are perfect k-th powers, else null. */
  Rational root(int k) {
    if (k == 1) {
      return this;
    }
    if (num.signum() < 0) {
      if (k % 2 == 0) {
        return null;
      }
      Rational r = negate().root(k);
      return r == null ? null : r.negate();
    }
    BigInteger a = exactRoot(num, k);
    BigInteger b = a == null ? null : exactRoot(den, k);
    return b == null ? null : new Rational(a, b);
  }

  private static BigInteger exactRoot(BigInteger x, int k) {
    if (x.signum() == 0 || x.equals(BigInteger.ONE)) {
      return x;
    }
    BigInteger r;
    if (k == 2) {
      r = x.sqrt();
    } else {
      // Newton on an estimate from the double value, then fix up by +-1 steps.
      double est = Math.pow(x.doubleValue(), 1.0 / k);
      if (Double.isInfinite(est) || Double.isNaN(est) || x.bitLength() > 1000) {
        return null;
      }
      r = BigDecimal.valueOf(Math.rint(est)).toBigInteger();
      for (int i = 0; i < 4 && r.pow(k).compareTo(x) > 0; i++) {
        r = r.subtract(BigInteger.ONE);
      }
      for (int i = 0; i < 4 && r.add(BigInteger.ONE).pow(k).compareTo(x) <= 0; i++) {
        r = r.add(BigInteger.ONE);
      }
    }
    return r.pow(k).equals(x) ? r : null;
  }

  double toDouble() {
    if (num.bitLength() < 1000 && den.bitLength() < 1000) {
      return num.doubleValue() / den.doubleValue();
    }
    return new BigDecimal(num).divide(new BigDecimal(den), MathContext.DECIMAL64).doubleValue();
  }

  /** Rounds half-up to {@code places} decimals; used for "decimal within precision" matches. */
  BigDecimal round(int places) {
    return new BigDecimal(num).divide(new BigDecimal(den), places, RoundingMode.HALF_UP);
  }

  @Override
  public int compareTo(Rational o) {
    return num.multiply(o.den).compareTo(o.num.multiply(den));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Rational r && num.equals(r.num) && den.equals(r.den);
  }

  @Override
  public int hashCode() {
    return num.hashCode() * 31 + den.hashCode();
  }

  @Override
  public String toString() {
    return isInteger() ? num.toString() : num + "/" + den;
  }
}
