package dev.retort.verify;

/**
 * The outcome of one verification.
 *
 * @param correct whether the response's answer matches the reference
 * @param extracted the answer found in the response, as written; null when there is none
 * @param reason a short code: {@link #EQUAL}, {@link #NOT_EQUAL}, {@link #NO_ANSWER},
 *     {@link #TRUNCATED}, {@link #TIMEOUT} or {@link #PARSE_ERROR}
 */
public record Verification(boolean correct, String extracted, String reason) {
  public static final String EQUAL = "equal";
  public static final String NOT_EQUAL = "not_equal";
  /** No answer could be found (also: an unfinished {@code <think>} block). */
  public static final String NO_ANSWER = "no_answer";
  /** The caller reported the response as cut off. */
  public static final String TRUNCATED = "truncated";
  /** The comparison passed its time limit; counted as not correct. */
  public static final String TIMEOUT = "timeout";
  /** The reference answer is empty, or the comparison failed on malformed input. */
  public static final String PARSE_ERROR = "parse_error";

  public Verification {
    if (reason == null || reason.isBlank()) {
      throw new IllegalArgumentException("reason is required");
    }
  }
}
