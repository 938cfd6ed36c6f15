package io.relstream.http;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counters of one server: responses by status class (every response, Jetty's own errors and the
 * header deadline's 408 included) and rejections by limit. Add {@link #prometheus(String)} to the
 * application's {@code /metrics}.
 */
public final class HttpServerMetrics {
  /** The limits that reject a request, with their status. */
  public enum Rejection {
    HEADER_TIMEOUT(408), BODY_TOO_SLOW(408), BODY_TOO_LARGE(413), UNSUPPORTED_MEDIA_TYPE(415),
    HEADERS_TOO_LARGE(431), BUSY(503), UNAUTHORIZED(401);

    public final int status;

    Rejection(int status) {
      this.status = status;
    }
  }

  private final AtomicLongArray classes = new AtomicLongArray(6);
  private final AtomicLongArray rejections = new AtomicLongArray(Rejection.values().length);

  void response(int status) {
    int c = status / 100;
    classes.incrementAndGet(c >= 1 && c <= 5 ? c : 0);
  }

  void rejected(Rejection r) {
    rejections.incrementAndGet(r.ordinal());
  }

  /** Responses by class ({@code "2xx"} ...). */
  public long responses(String statusClass) {
    return classes.get(statusClass.charAt(0) - '0');
  }

  /** Rejections by limit. */
  public long rejections(Rejection r) {
    return rejections.get(r.ordinal());
  }

  /** All counters by a flat name: {@code responses_2xx}, {@code rejected_header_timeout} ... */
  public Map<String, Long> snapshot() {
    Map<String, Long> m = new LinkedHashMap<>();
    for (int c = 1; c <= 5; c++) {
      m.put("responses_" + c + "xx", classes.get(c));
    }
    for (Rejection r : Rejection.values()) {
      m.put("rejected_" + r.name().toLowerCase(java.util.Locale.ROOT), rejections.get(r.ordinal()));
    }
    return m;
  }

  /**
   * Prometheus text: {@code PREFIX_http_responses_total{class="2xx"}} and
   * {@code PREFIX_http_rejected_total{reason="header_timeout",status="408"}}, each line ending in a newline.
   */
  public String prometheus(String prefix) {
    StringBuilder b = new StringBuilder();
    String resp = prefix + "_http_responses_total";
    b.append("# HELP ").append(resp).append(" HTTP responses by status class.\n");
    b.append("# TYPE ").append(resp).append(" counter\n");
    for (int c = 1; c <= 5; c++) {
      b.append(resp).append("{class=\"").append(c).append("xx\"} ").append(classes.get(c)).append('\n');
    }
    String rej = prefix + "_http_rejected_total";
    b.append("# HELP ").append(rej).append(" Requests rejected by a server limit.\n");
    b.append("# TYPE ").append(rej).append(" counter\n");
    for (Rejection r : Rejection.values()) {
      b.append(rej).append("{reason=\"").append(r.name().toLowerCase(java.util.Locale.ROOT)).append("\",status=\"")
          .append(r.status).append("\"} ").append(rejections.get(r.ordinal())).append('\n');
    }
    return b.toString();
  }
}
