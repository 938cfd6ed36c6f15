package io.relstream.http;

import java.util.Map;

/**
 * Thrown by an {@link ApiHandler} for an answer that is an error the caller caused (or a 5xx it
 * should see): the server answers {@code status} with {@code {"error": message}} and the headers.
 */
public final class ApiException extends Exception {
  private static final long serialVersionUID = 1L;
  private final int status;
  private final transient Map<String, String> headers;

  public ApiException(int status, String message) {
    this(status, message, Map.of());
  }

  public ApiException(int status, String message, Map<String, String> headers) {
    super(message, null, false, false);
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("an ApiException is a 4xx or 5xx, got " + status);
    }
    this.status = status;
    this.headers = Map.copyOf(headers);
  }

  public int status() {
    return status;
  }

  public Map<String, String> headers() {
    return headers;
  }
}
