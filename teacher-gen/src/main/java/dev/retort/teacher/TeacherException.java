package dev.retort.teacher;

/**
 * A request that failed for good: the retries ran out, or the failure cannot improve by retrying
 * (a 400 for a malformed request, a 401 for a wrong key). The message is the reason written to the
 * errors output; it never contains the API key.
 */
public final class TeacherException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int status;
  private final int attempts;

  /**
   * @param status the last HTTP status, or 0 when the last attempt got no HTTP answer
   *     (connection refused or dropped, timeout)
   */
  public TeacherException(String reason, int status, int attempts, Throwable cause) {
    super(reason, cause);
    this.status = status;
    this.attempts = attempts;
  }

  public int status() {
    return status;
  }

  public int attempts() {
    return attempts;
  }
}
