package dev.retort.teacher.http;

/**
 * An HTTP answer as the pool needs it: status, the Retry-After header (null when absent) and the body.
 */
record HttpResult(int status, String retryAfter, byte[] body) {}
