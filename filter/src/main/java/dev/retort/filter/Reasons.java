package dev.retort.filter;

/**
 * Rejection reason codes, as written in the {@code reasons} column of filtered/rejected and counted
 * in stats.json. A reason is a code, or {@code code:qualifier} with a low-cardinality qualifier (a
 * benchmark name, a column name), so counts per reason stay readable.
 */
public final class Reasons {
  private Reasons() {}

  // Row problems: the trace could not be read as the contract says.
  public static final String MALFORMED = "malformed";
  public static final String MISSING_PROMPT_ID = "malformed:missing_prompt_id";
  public static final String MISSING_PROBLEM = "malformed:missing_problem";
  public static final String DUPLICATE_KEY = "malformed:duplicate_key";
  public static final String UNREADABLE_FILE = "malformed:unreadable_file";

  public static String nullField(String column) {
    return "malformed:null_field:" + column;
  }

  public static String badType(String column) {
    return "malformed:bad_type:" + column;
  }

  /** A file without this required column (quarantined with inputs.max-bad-files). */
  public static String missingColumn(String column) {
    return "malformed:missing_column:" + column;
  }

  public static String badValue(String column) {
    return "malformed:bad_value:" + column;
  }

  // Quality filters (after DeepSeek-R1's SFT data curation).
  public static final String GENERATION_ERROR = "generation_error";
  public static final String TRUNCATED = "truncated";
  public static final String MISSING_REASONING = "missing_reasoning";
  public static final String UNCLOSED_REASONING = "unclosed_reasoning";
  public static final String REASONING_TOO_SHORT = "reasoning_too_short";
  public static final String REASONING_TOO_LONG = "reasoning_too_long";
  public static final String TOO_MANY_TOKENS = "too_many_tokens";
  public static final String LANGUAGE_MIXING = "language_mixing";
  public static final String REPETITION = "repetition";
  public static final String ANSWER_FORMAT = "answer_format";

  // Verification.
  public static final String INCORRECT = "incorrect";
  public static final String UNVERIFIABLE = "unverifiable";

  // Per-prompt selection.
  public static final String DUPLICATE_TRACE = "duplicate_trace";
  public static final String NEAR_DUPLICATE_TRACE = "near_duplicate_trace";
  public static final String KEEP_LIMIT = "keep_limit";

  // Prompt-level decisions, applied to every trace of the prompt.
  public static final String DUPLICATE_PROMPT = "duplicate_prompt";
  public static final String NEAR_DUPLICATE_PROMPT = "near_duplicate_prompt";

  public static String contaminated(String benchmark) {
    return "contaminated:" + benchmark;
  }

  /** The code of a reason: the text before the first ':' (the qualifier dropped). */
  public static String code(String reason) {
    int i = reason.indexOf(':');
    return i < 0 ? reason : reason.substring(0, i);
  }
}
