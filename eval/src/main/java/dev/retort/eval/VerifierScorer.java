package dev.retort.eval;

import dev.retort.verify.Verification;
import dev.retort.verify.Verifier;
import dev.retort.verify.Verifiers;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Scores with the filter's verifiers: the same judge that accepts or rejects teacher traces.
 * A response cut off by the token budget is scored on what it contains; the extractor already
 * finds no answer in an unclosed think block or a sentence cut in half.
 */
public final class VerifierScorer implements Scorer {
  private static final long serialVersionUID = 1L;
  public static final VerifierScorer INSTANCE = new VerifierScorer();

  /** Verifiers are thread-safe; one per answer type and JVM. */
  private static final Map<String, Verifier> BY_TYPE = new ConcurrentHashMap<>();

  private VerifierScorer() {}

  @Override
  public Scored score(String reference, String answerType, String response) {
    Verification v = BY_TYPE.computeIfAbsent(answerType, Verifiers::forAnswerType).verify(reference, response);
    return new Scored(v.extracted(), v.correct());
  }

  private Object readResolve() {
    return INSTANCE;
  }
}
