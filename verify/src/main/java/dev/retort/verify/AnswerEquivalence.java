package dev.retort.verify;

import dev.retort.verify.Ans.Scalar;
import dev.retort.verify.Expr.Deg;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Equivalence of two already-extracted answers, for grouping samples in majority vote (maj@k).
 *
 * <p>{@link #equivalent} is the full comparison of {@link MathVerifier}, made symmetric.
 * {@link #canonical} is a cheap key for hashing: equal keys imply equivalent answers, and simple
 * numbers that are equal get one key ("0.5", "\frac{1}{2}", "1/2" all give "num:1/2"). Answers
 * that are not plain numbers get a markup-insensitive string key, so two equivalent expressions can
 * still have different keys: callers merge groups with {@link #equivalent} where it matters.
 */
public final class AnswerEquivalence {
  private static final MathVerifier VERIFIER = new MathVerifier();

  private AnswerEquivalence() {}

  /** Whether {@code a} and {@code b} are the same answer (either read as the reference). */
  public static boolean equivalent(String a, String b) {
    if (a == null || b == null) {
      return false;
    }
    return VERIFIER.sameAnswer(a, b) || VERIFIER.sameAnswer(b, a);
  }

  /** A grouping key; see the class comment. Null input gives null. */
  public static String canonical(String answer) {
    if (answer == null) {
      return null;
    }
    String cleaned = Latex.clean(answer);
    String numeric = Latex.numericReading(cleaned);
    if (numeric != null) {
      cleaned = numeric;
    }
    try {
      Deadline deadline = Deadline.after(200);
      Ans a = MathParser.parse(cleaned, deadline);
      if (a instanceof Scalar s) {
        Expr e = s.expr();
        while (e instanceof Deg d) {
          e = d.arg();
        }
        Set<String> vars = new TreeSet<>();
        Expr.freeSymbols(e, vars);
        boolean unknownFunction = Expr.any(e, x -> x instanceof Expr.Fn f && f.name().startsWith("@"));
        if (vars.isEmpty() && !unknownFunction && !(e instanceof Expr.Pct) && !Expr.hasPlusMinus(e)) {
          Num v = new Evaluator(deadline).eval(e, Map.of());
          if (v.isExact()) {
            return "num:" + v;
          }
        }
      }
    } catch (RuntimeException | StackOverflowError e) {
      // Fall through to the string key.
    }
    return "str:" + Latex.light(cleaned);
  }
}
