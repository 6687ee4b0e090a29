package dev.retort.verify.code;

/**
 * The outcome of running a response's code against a problem's tests.
 *
 * @param reason one of the constants below
 * @param failedTest index of the first test that did not pass, -1 when none did not (or no test ran)
 * @param detail for a failure, what happened in that test (expected and actual output, the
 *     error's last lines); empty when accepted
 * @param testsRun tests that were run (running stops at the first failure)
 * @param code the code that was run; null when the response had none
 */
public record CodeVerdict(String reason, int failedTest, String detail, int testsRun, String code) {
  public static final String ACCEPTED = "accepted";
  public static final String WRONG_ANSWER = "wrong_answer";
  public static final String RUNTIME_ERROR = "runtime_error";
  public static final String COMPILE_ERROR = "compile_error";
  public static final String TIMEOUT = "timeout";
  public static final String MEMORY_LIMIT = "memory_limit";
  public static final String OUTPUT_LIMIT = "output_limit";
  public static final String NO_CODE = "no_code";
  /** The row's tests could not be read; the response was not run. */
  public static final String BAD_TESTS = "bad_tests";

  public boolean correct() {
    return ACCEPTED.equals(reason);
  }
}
