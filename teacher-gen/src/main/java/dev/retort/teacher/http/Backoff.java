package dev.retort.teacher.http;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Retry delays: exponential with "equal jitter" (half fixed, half random), so that thousands of
 * requests failing together do not come back together, yet none retries at once. A server's
 * Retry-After wins when it asks for longer.
 */
final class Backoff {
  /** A server may ask for a long pause, but never for longer than this (protects against nonsense). */
  static final Duration MAX_RETRY_AFTER = Duration.ofMinutes(10);

  private final long initialMs;
  private final long maxMs;

  Backoff(Duration initial, Duration max) {
    this.initialMs = Math.max(0, initial.toMillis());
    this.maxMs = Math.max(initialMs, max.toMillis());
  }

  /** Delay before attempt {@code failedAttempts + 1}, given the server's Retry-After (may be null). */
  long delayMs(int failedAttempts, String retryAfter) {
    int shift = Math.min(30, Math.max(0, failedAttempts - 1));
    long cap = Math.min(maxMs, initialMs << shift);
    long half = cap / 2;
    long d = half + (cap - half > 0 ? ThreadLocalRandom.current().nextLong(cap - half + 1) : 0);
    long ra = retryAfterMs(retryAfter);
    return Math.max(d, ra);
  }

  /** Retry-After as delta-seconds or an HTTP date; 0 when absent or unreadable. */
  static long retryAfterMs(String value) {
    if (value == null || value.isBlank()) {
      return 0;
    }
    String v = value.trim();
    long ms;
    try {
      ms = (long) (Double.parseDouble(v) * 1000);
    } catch (NumberFormatException e) {
      try {
        ZonedDateTime t = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
        ms = t.toInstant().toEpochMilli() - System.currentTimeMillis();
      } catch (DateTimeParseException e2) {
        return 0;
      }
    }
    return Math.max(0, Math.min(ms, MAX_RETRY_AFTER.toMillis()));
  }
}
