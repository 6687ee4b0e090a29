package dev.retort.verify;

import java.util.List;

/**
 * The shape of a parsed answer: a scalar, a list/tuple/set/interval, a union of intervals, a
 * matrix, a relation chain, or text that is not math. The comparator dispatches on these.
 */
sealed interface Ans {

  record Scalar(Expr expr) implements Ans {}

  /**
   * Bracketed or bare collection. {@code open}/{@code close} are '(' ')' '[' ']' '{' '}' or ' '
   * for a bare comma list. {@code (a, b]} is an interval because of its brackets; {@code (a, b)}
   * is a tuple or an open interval, which compare the same way. {@code unordered} marks bare
   * lists known to be solution sets ("x = 1 or x = 2", separately boxed answers).
   */
  record Group(char open, char close, List<Ans> items, boolean unordered) implements Ans {
    boolean bare() {
      return open == ' ';
    }

    boolean isSet() {
      return open == '{';
    }
  }

  record Union(List<Ans> parts) implements Ans {}

  record Matrix(List<List<Ans>> rows) implements Ans {}

  /** {@code sides[0] ops[0] sides[1] ops[1] ...}; ops are "=", "<", "<=", ">", ">=", "!=", "~", "in". */
  record Rel(List<Ans> sides, List<String> ops) implements Ans {}

  /** Words, not math ("Evelyn", "\text{(C)}"); compared as normalized text. */
  record Text(String text) implements Ans {}
}
