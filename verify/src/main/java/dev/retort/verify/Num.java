package dev.retort.verify;

/**
 * A complex value that stays exact (Gaussian rational) for as long as it can and falls back to
 * doubles once an irrational operation (sqrt of a non-square, pi, sin, ...) touches it.
 *
 * <p>Complex because answers such as {@code (1+i)^2} and {@code 2i} must compare equal; exact
 * because doubles make false positives ({@code 1/2004!} vs {@code 1/2006!}). Exact parts whose
 * size passes {@link #MAX_BITS} are dropped to doubles instead of growing without bound.
 */
final class Num {
  static final long MAX_BITS = 400_000;
  static final Num NAN = new Num(null, null, Double.NaN, Double.NaN);
  static final Num ZERO = exact(Rational.ZERO);
  static final Num ONE = exact(Rational.ONE);
  static final Num I = new Num(Rational.ZERO, Rational.ONE, 0, 1);

  /** Exact real and imaginary parts; both null when the value is approximate. */
  final Rational re;
  final Rational im;
  final double ar;
  final double ai;

  private Num(Rational re, Rational im, double ar, double ai) {
    this.re = re;
    this.im = im;
    this.ar = ar;
    this.ai = ai;
  }

  static Num exact(Rational r) {
    return exact(r, Rational.ZERO);
  }

  static Num exact(Rational re, Rational im) {
    if (re.bits() + im.bits() > MAX_BITS) {
      return approx(re.toDouble(), im.toDouble());
    }
    return new Num(re, im, re.toDouble(), im.toDouble());
  }

  static Num approx(double re, double im) {
    return new Num(null, null, re, im);
  }

  static Num real(double v) {
    return approx(v, 0);
  }

  boolean isExact() {
    return re != null;
  }

  boolean isNaN() {
    return Double.isNaN(ar) || Double.isNaN(ai);
  }

  boolean isFinite() {
    return !isNaN() && !Double.isInfinite(ar) && !Double.isInfinite(ai);
  }

  boolean isReal() {
    return isExact() ? im.signum() == 0 : ai == 0 || Math.abs(ai) <= 1e-12 * Math.max(1, Math.abs(ar));
  }

  boolean isExactInteger() {
    return isExact() && im.signum() == 0 && re.isInteger();
  }

  boolean isZero() {
    return isExact() ? re.signum() == 0 && im.signum() == 0 : ar == 0 && ai == 0;
  }

  Num add(Num o) {
    if (isExact() && o.isExact()) {
      return exact(re.add(o.re), im.add(o.im));
    }
    return approx(ar + o.ar, ai + o.ai);
  }

  Num negate() {
    return isExact() ? new Num(re.negate(), im.negate(), -ar, -ai) : approx(-ar, -ai);
  }

  Num subtract(Num o) {
    return add(o.negate());
  }

  Num multiply(Num o) {
    if (isExact() && o.isExact()) {
      if (im.signum() == 0 && o.im.signum() == 0) {
        return exact(re.multiply(o.re));
      }
      return exact(re.multiply(o.re).subtract(im.multiply(o.im)), re.multiply(o.im).add(im.multiply(o.re)));
    }
    return approx(ar * o.ar - ai * o.ai, ar * o.ai + ai * o.ar);
  }

  Num divide(Num o) {
    if (o.isZero()) {
      return NAN;
    }
    if (isExact() && o.isExact()) {
      if (im.signum() == 0 && o.im.signum() == 0) {
        return exact(re.divide(o.re));
      }
      Rational d = o.re.multiply(o.re).add(o.im.multiply(o.im));
      Rational r = re.multiply(o.re).add(im.multiply(o.im)).divide(d);
      Rational i = im.multiply(o.re).subtract(re.multiply(o.im)).divide(d);
      return exact(r, i);
    }
    double d = o.ar * o.ar + o.ai * o.ai;
    return approx((ar * o.ar + ai * o.ai) / d, (ai * o.ar - ar * o.ai) / d);
  }

  double abs() {
    return Math.hypot(ar, ai);
  }

  /** Principal natural log; NaN at zero. */
  Num log() {
    if (isZero()) {
      return NAN;
    }
    return approx(Math.log(abs()), Math.atan2(ai, ar));
  }

  Num exp() {
    double m = Math.exp(ar);
    return ai == 0 ? real(m) : approx(m * Math.cos(ai), m * Math.sin(ai));
  }

  @Override
  public String toString() {
    if (isExact()) {
      return im.signum() == 0 ? re.toString() : re + "+" + im + "i";
    }
    return ai == 0 ? Double.toString(ar) : ar + "+" + ai + "i";
  }
}
