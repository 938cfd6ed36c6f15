package io.relstream.demo;

import java.net.http.HttpResponse;

/** How long a relstream client waits after a 503: what {@code Retry-After} asks (seconds), within bounds. */
final class RetryAfter {
  private RetryAfter() {}

  /** Milliseconds to wait after {@code r}: see {@link #millis(String, long)}. */
  static long millis(HttpResponse<?> r, long capSeconds) {
    return millis(r.headers().firstValue("Retry-After").orElse(null), capSeconds);
  }

  /**
   * Milliseconds for a Retry-After value in whole seconds: 1 s when absent or not a number (an HTTP date,
   * which relstream's servers do not send), at least 1 s and at most {@code capSeconds}.
   */
  static long millis(String retryAfter, long capSeconds) {
    long s = 1;
    if (retryAfter != null) {
      try {
        s = Long.parseLong(retryAfter.strip());
      } catch (NumberFormatException e) {
        s = 1;
      }
    }
    return Math.max(1, Math.min(capSeconds, s)) * 1000L;
  }
}
