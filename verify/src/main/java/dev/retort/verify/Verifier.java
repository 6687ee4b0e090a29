package dev.retort.verify;

/**
 * Decides whether a model response answers a question whose reference answer is {@code gold}.
 *
 * <p>Implementations are plain Java, thread-safe and usable without Spark: the filter job, the
 * eval runner and unit tests call the same code. A verification never throws for odd input; it
 * returns {@code correct=false} with a reason instead.
 */
public interface Verifier {

  /**
   * @param gold the reference answer (a bare answer such as "\frac{1}{2}", or a worked solution
   *     holding a \boxed{} answer)
   * @param response a full model output or a bare answer
   */
  Verification verify(String gold, String response);

  /**
   * As {@link #verify(String, String)}, for a response the caller knows was cut off (finish reason
   * "length"): such a response is never correct, whatever it happens to contain.
   */
  default Verification verify(String gold, String response, boolean truncated) {
    if (truncated) {
      String extracted = response == null ? null : AnswerExtractor.extract(response).orElse(null);
      return new Verification(false, extracted, Verification.TRUNCATED);
    }
    return verify(gold, response);
  }
}
