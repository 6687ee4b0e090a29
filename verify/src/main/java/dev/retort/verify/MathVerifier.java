package dev.retort.verify;

import dev.retort.verify.AnswerExtractor.Extraction;
import dev.retort.verify.Ans.Group;
import dev.retort.verify.Ans.Scalar;
import java.util.ArrayList;
import java.util.List;

/**
 * Math answer equivalence: extracts the final answer of a response ({@link AnswerExtractor}) and
 * compares it with the reference by meaning, not by spelling.
 *
 * <p>Cheap checks run first, because most correct answers are spelled like the reference: a
 * whitespace/markup-insensitive string comparison, then the cleaned strings. Only then the answer
 * is parsed ({@link MathParser}) and compared structurally and numerically
 * ({@link AnswerComparator}). Numbers written with separators are read both ways ("1,000" as one
 * thousand or as the pair 1, 0), and the reading that fits the reference wins.
 *
 * <p>Each verification has a time limit ({@link Options#timeoutMillis}), enforced by a deadline
 * that the parser and evaluator check as they go; past it the result is "timeout", not correct.
 */
public final class MathVerifier implements Verifier {

  /**
   * @param timeoutMillis time limit of one verification (default 1000)
   * @param decimalPlaces when one answer is written as a decimal and the values are not exactly
   *     equal, both are rounded to this many places and compared (default 6, as Math-Verify)
   */
  public record Options(long timeoutMillis, int decimalPlaces) {
    public static final long DEFAULT_TIMEOUT_MILLIS = 1000;
    public static final int DEFAULT_DECIMAL_PLACES = 6;

    public Options {
      if (timeoutMillis <= 0) {
        throw new IllegalArgumentException("timeoutMillis must be > 0, got " + timeoutMillis);
      }
      if (decimalPlaces < 0 || decimalPlaces > 30) {
        throw new IllegalArgumentException("decimalPlaces must be in [0, 30], got " + decimalPlaces);
      }
    }

    public static Options defaults() {
      return new Options(DEFAULT_TIMEOUT_MILLIS, DEFAULT_DECIMAL_PLACES);
    }

    public Options withTimeoutMillis(long millis) {
      return new Options(millis, decimalPlaces);
    }

    public Options withDecimalPlaces(int places) {
      return new Options(timeoutMillis, places);
    }
  }

  private final Options options;

  public MathVerifier() {
    this(Options.defaults());
  }

  public MathVerifier(Options options) {
    this.options = options;
  }

  public Options options() {
    return options;
  }

  @Override
  public Verification verify(String gold, String response) {
    if (gold == null || gold.isBlank()) {
      return new Verification(false, null, Verification.PARSE_ERROR);
    }
    if (response == null || response.isBlank()) {
      return new Verification(false, null, Verification.NO_ANSWER);
    }
    Extraction pred = AnswerExtractor.extractDetailed(response);
    if (pred == null || pred.answer().isBlank()) {
      return new Verification(false, null, Verification.NO_ANSWER);
    }
    Deadline deadline = Deadline.after(options.timeoutMillis());
    try {
      Extraction ref = AnswerExtractor.extractGold(gold);
      boolean ok = same(ref, pred, deadline);
      return new Verification(ok, pred.answer(), ok ? Verification.EQUAL : Verification.NOT_EQUAL);
    } catch (Deadline.Expired e) {
      return new Verification(false, pred.answer(), Verification.TIMEOUT);
    } catch (RuntimeException | StackOverflowError e) {
      // A verifier answers for every input; a bug on odd input must not kill a Spark task.
      return new Verification(false, pred.answer(), Verification.PARSE_ERROR);
    }
  }

  /**
   * The digits of an optionally signed decimal integer without leading zeros ("-0" is "0"), or
   * null when {@code s} is anything else (spaces, separators, LaTeX, a decimal point...).
   */
  static String plainInteger(String s) {
    int n = s.length();
    int i = n > 0 && s.charAt(0) == '-' ? 1 : 0;
    if (i == n) {
      return null;
    }
    for (int j = i; j < n; j++) {
      char c = s.charAt(j);
      if (c < '0' || c > '9') {
        return null;
      }
    }
    int from = i;
    while (from < n - 1 && s.charAt(from) == '0') {
      from++;
    }
    String digits = s.substring(from);
    return i == 1 && !digits.equals("0") ? "-" + digits : digits;
  }

  /**
   * Whether two already-extracted answers are equivalent, {@code reference} read as the gold.
   * False on timeout.
   */
  public boolean sameAnswer(String reference, String answer) {
    if (reference == null || answer == null) {
      return false;
    }
    try {
      return same(new Extraction(reference, AnswerExtractor.Source.BARE),
          new Extraction(answer, AnswerExtractor.Source.BARE), Deadline.after(options.timeoutMillis()));
    } catch (Deadline.Expired | StackOverflowError e) {
      return false;
    } catch (RuntimeException e) {
      return false;
    }
  }

  private boolean same(Extraction ref, Extraction pred, Deadline deadline) {
    // Two bare integers (most numeric answers: GSM8K, arith, AIME) are equal exactly when their
    // digits are, leading zeros aside; no cleaning, parsing or evaluation can say otherwise.
    String ri = plainInteger(ref.answer());
    if (ri != null) {
      String pi = plainInteger(pred.answer());
      if (pi != null) {
        return ri.equals(pi);
      }
    }
    if (Latex.light(ref.answer()).equals(Latex.light(pred.answer()))) {
      return true;
    }
    String gc = Latex.clean(ref.answer());
    String pc = Latex.clean(pred.answer());
    if (gc.equals(pc)) {
      return true;
    }
    AnswerComparator cmp = new AnswerComparator(options.decimalPlaces(), deadline);
    Ans g = parse(ref, gc, deadline);
    Ans p = parse(pred, pc, deadline);
    if (cmp.equal(g, p, gc, pc)) {
      return true;
    }
    // Separators: "7,425,000" against 7425000 reads as one number, "1,22" against 1.22 too; the
    // list reading ("1, 22") was tried above.
    String gn = Latex.numericReading(gc);
    String pn = Latex.numericReading(pc);
    if (gn != null) {
      Ans g2 = MathParser.parse(gn, deadline);
      if (cmp.equal(g2, p, gn, pc)) {
        return true;
      }
      if (pn != null && cmp.equal(g2, MathParser.parse(pn, deadline), gn, pn)) {
        return true;
      }
    }
    return pn != null && g instanceof Scalar && cmp.equal(g, MathParser.parse(pn, deadline), gc, pn);
  }

  /** Several boxed answers form one unordered collection. */
  private static Ans parse(Extraction e, String cleaned, Deadline deadline) {
    if (e.parts().size() <= 1) {
      return MathParser.parse(cleaned, deadline);
    }
    List<Ans> items = new ArrayList<>();
    for (String part : e.parts()) {
      Ans a = MathParser.parse(Latex.clean(part), deadline);
      if (a instanceof Group g && g.bare()) {
        items.addAll(g.items());
      } else {
        items.add(a);
      }
    }
    if (items.stream().anyMatch(a -> a instanceof Ans.Text)) {
      return new Ans.Text(cleaned);
    }
    return new Group(' ', ' ', List.copyOf(items), true);
  }
}
