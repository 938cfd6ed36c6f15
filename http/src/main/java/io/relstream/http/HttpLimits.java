package io.relstream.http;

import java.time.Duration;

/**
 * The limits every {@link HardenedHttpServer} enforces. Use {@link #defaults()} and the {@code with*}
 * methods; each limit answers with a JSON error ({@code {"error": "..."}}) and is counted in
 * {@link HttpServerMetrics}.
 *
 * @param headerTimeout the request line and headers must arrive within this time, counted from the
 *     connection's opening for its first request and from the first byte of each later request on a
 *     kept-alive connection; else 408 and the connection is closed
 * @param minBodyBytesPerSecond once {@code bodyGrace} has passed, a body must have arrived at this
 *     average rate since its headers, else 408 and close
 * @param bodyGrace how long a body may be slower than {@code minBodyBytesPerSecond}
 * @param idleTimeout a connection with nothing in flight is closed after this
 * @param maxHeaderBytes request line plus headers; more is a 431 (a request line alone over it: 414)
 * @param maxBodyBytes the largest body, after gzip decoding: 413 (from Content-Length before reading,
 *     or as soon as a chunked or gzip body passes it)
 * @param maxConcurrent requests inside handlers at once; one more is a 503 with {@code Retry-After}.
 *     Connections still sending headers or bodies hold neither a slot nor a thread.
 * @param retryAfterSeconds the {@code Retry-After} of a 503
 */
public record HttpLimits(Duration headerTimeout, long minBodyBytesPerSecond, Duration bodyGrace,
    Duration idleTimeout, int maxHeaderBytes, long maxBodyBytes, int maxConcurrent, int retryAfterSeconds) {

  public HttpLimits {
    if (headerTimeout.isNegative() || headerTimeout.isZero() || bodyGrace.isNegative() || idleTimeout.isNegative()
        || idleTimeout.isZero()) {
      throw new IllegalArgumentException("timeouts must be positive: " + headerTimeout + ", " + bodyGrace + ", "
          + idleTimeout);
    }
    if (minBodyBytesPerSecond < 0 || maxHeaderBytes < 1024 || maxBodyBytes < 0 || maxConcurrent < 1
        || retryAfterSeconds < 0) {
      throw new IllegalArgumentException("bad limits: minBodyBytesPerSecond=" + minBodyBytesPerSecond
          + ", maxHeaderBytes=" + maxHeaderBytes + " (>= 1024), maxBodyBytes=" + maxBodyBytes + ", maxConcurrent="
          + maxConcurrent + ", retryAfterSeconds=" + retryAfterSeconds);
    }
  }

  /**
   * Header timeout 10 s; body at least 1 KiB/s after the first 5 s; idle 30 s; headers 8 KiB; body
   * 1 MiB; 64 requests in handlers; Retry-After 1 s.
   */
  public static HttpLimits defaults() {
    return new HttpLimits(Duration.ofSeconds(10), 1024, Duration.ofSeconds(5), Duration.ofSeconds(30), 8 * 1024,
        1024 * 1024, 64, 1);
  }

  public HttpLimits withHeaderTimeout(Duration d) {
    return new HttpLimits(d, minBodyBytesPerSecond, bodyGrace, idleTimeout, maxHeaderBytes, maxBodyBytes,
        maxConcurrent, retryAfterSeconds);
  }

  public HttpLimits withBodyRate(long bytesPerSecond, Duration grace) {
    return new HttpLimits(headerTimeout, bytesPerSecond, grace, idleTimeout, maxHeaderBytes, maxBodyBytes,
        maxConcurrent, retryAfterSeconds);
  }

  public HttpLimits withIdleTimeout(Duration d) {
    return new HttpLimits(headerTimeout, minBodyBytesPerSecond, bodyGrace, d, maxHeaderBytes, maxBodyBytes,
        maxConcurrent, retryAfterSeconds);
  }

  public HttpLimits withMaxHeaderBytes(int n) {
    return new HttpLimits(headerTimeout, minBodyBytesPerSecond, bodyGrace, idleTimeout, n, maxBodyBytes,
        maxConcurrent, retryAfterSeconds);
  }

  public HttpLimits withMaxBodyBytes(long n) {
    return new HttpLimits(headerTimeout, minBodyBytesPerSecond, bodyGrace, idleTimeout, maxHeaderBytes, n,
        maxConcurrent, retryAfterSeconds);
  }

  public HttpLimits withMaxConcurrent(int n) {
    return new HttpLimits(headerTimeout, minBodyBytesPerSecond, bodyGrace, idleTimeout, maxHeaderBytes, maxBodyBytes,
        n, retryAfterSeconds);
  }
}
