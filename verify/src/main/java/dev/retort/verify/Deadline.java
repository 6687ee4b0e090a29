package dev.retort.verify;

/**
 * A time limit checked cooperatively inside the parser, the evaluator and the comparator.
 *
 * <p>Cooperative instead of a watchdog thread: a verification costs microseconds, so a thread
 * hand-off per call would cost more than the work; and every loop that can run long (big
 * factorials, powers, sums, random-point evaluation) passes through {@link #check()}.
 */
final class Deadline {
  private final long deadlineNanos;
  private int calls;

  private Deadline(long deadlineNanos) {
    this.deadlineNanos = deadlineNanos;
  }

  static Deadline after(long millis) {
    long now = System.nanoTime();
    long span = millis <= 0 ? Long.MAX_VALUE / 4 : millis * 1_000_000L;
    return new Deadline(now + span);
  }

  /** Cheap: reads the clock once every 32 calls. */
  void check() {
    if ((++calls & 31) == 0) {
      checkNow();
    }
  }

  void checkNow() {
    if (System.nanoTime() - deadlineNanos > 0) {
      throw new Expired();
    }
  }

  /** Thrown when the time limit passes; carries no stack trace because it is control flow. */
  static final class Expired extends RuntimeException {
    Expired() {
      super("verification time limit reached", null, false, false);
    }
  }
}
