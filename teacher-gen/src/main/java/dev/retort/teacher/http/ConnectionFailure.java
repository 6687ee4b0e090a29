package dev.retort.teacher.http;

import java.io.IOException;

/**
 * No HTTP answer came back: the connection was refused, reset or closed before a response, or the
 * attempt ran past its timeout. Always worth retrying, and counts against the endpoint's health.
 */
final class ConnectionFailure extends IOException {
  private static final long serialVersionUID = 1L;
  private final boolean timeout;
  /** The request went out on a reused keep-alive connection that the server had closed meanwhile. */
  private final boolean stale;

  ConnectionFailure(String message, boolean timeout, boolean stale, Throwable cause) {
    super(message, cause);
    this.timeout = timeout;
    this.stale = stale;
  }

  boolean timeout() {
    return timeout;
  }

  boolean stale() {
    return stale;
  }
}
