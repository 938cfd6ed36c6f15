package io.relstream.serving;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Serving's metrics in the Prometheus text exposition format (version 0.0.4): requests by endpoint
 * and status, a latency histogram per endpoint, consumed and skipped records, and gauges registered
 * by the components (model version, items, applied records, consumer lag). Thread-safe.
 *
 * <p>Recommendation latency (GET and POST /recommend) is also kept exactly in an HdrHistogram (three
 * significant digits, lock-free recording through a {@link Recorder}) and exposed as quantiles p50, p99
 * and p99.9 since start ({@code relstream_serving_recommend_latency_seconds{quantile=...}}): the fixed
 * buckets above only bound a quantile between two bucket edges (1 ms and 2.5 ms, say), too coarse for
 * millisecond targets. Also: the request rate over the last 10 s, errors by kind, and info lines.
 */
final class Metrics {
  /** Upper bounds of the latency buckets, in seconds. */
  static final double[] BUCKETS = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

  private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
  private final Map<String, Buckets> latency = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> consumed = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> skipped = new ConcurrentHashMap<>();
  private final LongAdder applyFailures = new LongAdder();
  private final LongAdder usersErased = new LongAdder();
  private final LongAdder itemsErased = new LongAdder();
  private final LongAdder clickHistoriesErased = new LongAdder();
  private final Map<String, Gauge> gauges = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
  private final Map<String, Supplier<String>> infos = new ConcurrentHashMap<>();
  private final Recorder recommendLatency = new Recorder(3);
  private final Histogram recommendTotal = new Histogram(3);
  /** Requests per second of the last {@value #RATE_WINDOW_S} whole seconds, keyed by epoch second mod 16. */
  private final java.util.concurrent.atomic.AtomicLongArray perSecond = new java.util.concurrent.atomic.AtomicLongArray(16);
  private final java.util.concurrent.atomic.AtomicLongArray secondOf = new java.util.concurrent.atomic.AtomicLongArray(16);
  static final int RATE_WINDOW_S = 10;

  private record Gauge(String help, LongSupplier value) {}

  private static final class Buckets {
    final AtomicLongArray counts = new AtomicLongArray(BUCKETS.length + 1);
    final DoubleAdder sum = new DoubleAdder();

    void observe(double seconds) {
      int b = 0;
      while (b < BUCKETS.length && seconds > BUCKETS[b]) {
        b++;
      }
      counts.incrementAndGet(b);
      sum.add(seconds);
    }
  }

  /** Counts one HTTP request and its latency. */
  void request(String endpoint, int status, long nanos) {
    requests.computeIfAbsent(endpoint + "\u0000" + status, x -> new LongAdder()).increment();
    latency.computeIfAbsent(endpoint, x -> new Buckets()).observe(nanos / 1e9);
    if (endpoint.startsWith("recommend")) {
      recommendLatency.recordValue(Math.max(1, nanos));
    }
    if (status >= 400) {
      errors.computeIfAbsent(errorKind(status), x -> new LongAdder()).increment();
    }
    long sec = System.currentTimeMillis() / 1000;
    int slot = (int) (sec & 15);
    if (secondOf.get(slot) != sec) {
      synchronized (perSecond) {
        if (secondOf.get(slot) != sec) {
          perSecond.set(slot, 0);
          secondOf.set(slot, sec);
        }
      }
    }
    perSecond.incrementAndGet(slot);
  }

  /** The error kind of an HTTP status (a fixed label). */
  static String errorKind(int status) {
    return switch (status) {
      case 400 -> "bad_request";
      case 401 -> "unauthorized";
      case 404 -> "not_found";
      case 405 -> "method_not_allowed";
      case 408 -> "timeout";
      case 413 -> "too_large";
      case 414 -> "uri_too_long";
      case 415 -> "unsupported_type";
      case 431 -> "headers_too_large";
      case 503 -> "unavailable";
      default -> status >= 500 ? "server_error" : "client_error";
    };
  }

  /** Requests per second over the last {@value #RATE_WINDOW_S} whole seconds. */
  double requestRate() {
    long now = System.currentTimeMillis() / 1000;
    long sum = 0;
    for (int j = 1; j <= RATE_WINDOW_S; j++) {
      int slot = (int) ((now - j) & 15);
      if (secondOf.get(slot) == now - j) {
        sum += perSecond.get(slot);
      }
    }
    return sum / (double) RATE_WINDOW_S;
  }

  /** The recommendation latency histogram since start (nanoseconds), a copy. */
  synchronized Histogram recommendLatency() {
    recommendTotal.add(recommendLatency.getIntervalHistogram());
    return recommendTotal.copy();
  }

  /** An info line {@code name{labels} 1}; the supplier gives the label text (already escaped). */
  void info(String name, Supplier<String> labels) {
    infos.put(name, labels);
  }

  /** A label value escaped for the exposition format. */
  static String label(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ");
  }

  /** Counts a consumed record of {@code topic} (applied or skipped). */
  void consumed(String topic) {
    consumed.computeIfAbsent(topic, x -> new LongAdder()).increment();
  }

  /** Counts a record skipped for {@code reason} (a short fixed label, not a message). */
  void skipped(String topic, String reason) {
    skipped.computeIfAbsent(topic + "\u0000" + reason, x -> new LongAdder()).increment();
  }

  long skippedTotal() {
    return skipped.values().stream().mapToLong(LongAdder::sum).sum();
  }

  long consumedTotal() {
    return consumed.values().stream().mapToLong(LongAdder::sum).sum();
  }

  void applyFailure() {
    applyFailures.increment();
  }

  /** Counts the erasures of a batch once it is applied. */
  void erased(long users, long items, long clickHistories) {
    usersErased.add(users);
    itemsErased.add(items);
    clickHistoriesErased.add(clickHistories);
  }

  /** Registers a gauge {@code name} (a full metric name). */
  void gauge(String name, String help, LongSupplier value) {
    gauges.put(name, new Gauge(help, value));
  }

  /** The exposition text. */
  String render() {
    StringBuilder out = new StringBuilder(2048);
    header(out, "relstream_serving_requests_total", "HTTP requests by endpoint and status.", "counter");
    for (Map.Entry<String, LongAdder> e : new TreeMap<>(requests).entrySet()) {
      String[] k = e.getKey().split("\u0000");
      out.append("relstream_serving_requests_total{endpoint=\"").append(k[0]).append("\",status=\"")
          .append(k[1]).append("\"} ").append(e.getValue().sum()).append('\n');
    }
    header(out, "relstream_serving_request_seconds", "HTTP request latency by endpoint.", "histogram");
    for (Map.Entry<String, Buckets> e : new TreeMap<>(latency).entrySet()) {
      String ep = e.getKey();
      Buckets h = e.getValue();
      long cumulative = 0;
      for (int b = 0; b <= BUCKETS.length; b++) {
        cumulative += h.counts.get(b);
        String le = b < BUCKETS.length ? Double.toString(BUCKETS[b]) : "+Inf";
        out.append("relstream_serving_request_seconds_bucket{endpoint=\"").append(ep).append("\",le=\"")
            .append(le).append("\"} ").append(cumulative).append('\n');
      }
      out.append("relstream_serving_request_seconds_sum{endpoint=\"").append(ep).append("\"} ")
          .append(h.sum.sum()).append('\n');
      out.append("relstream_serving_request_seconds_count{endpoint=\"").append(ep).append("\"} ")
          .append(cumulative).append('\n');
    }
    header(out, "relstream_serving_consumed_records_total", "Records consumed, applied or skipped.", "counter");
    for (Map.Entry<String, LongAdder> e : new TreeMap<>(consumed).entrySet()) {
      out.append("relstream_serving_consumed_records_total{topic=\"").append(e.getKey()).append("\"} ")
          .append(e.getValue().sum()).append('\n');
    }
    header(out, "relstream_serving_skipped_records_total", "Records skipped, by topic and reason.", "counter");
    for (Map.Entry<String, LongAdder> e : new TreeMap<>(skipped).entrySet()) {
      String[] k = e.getKey().split("\u0000");
      out.append("relstream_serving_skipped_records_total{topic=\"").append(k[0]).append("\",reason=\"")
          .append(k[1]).append("\"} ").append(e.getValue().sum()).append('\n');
    }
    header(out, "relstream_serving_apply_failures_total", "Batches whose store write failed (retried).",
        "counter");
    out.append("relstream_serving_apply_failures_total ").append(applyFailures.sum()).append('\n');
    header(out, "relstream_serving_users_erased_total", "Users erased by a user:ID tombstone on model-updates "
        + "(row and clicks deleted).", "counter");
    out.append("relstream_serving_users_erased_total ").append(usersErased.sum()).append('\n');
    header(out, "relstream_serving_items_erased_total", "Items erased by an item:ID tombstone on model-updates.",
        "counter");
    out.append("relstream_serving_items_erased_total ").append(itemsErased.sum()).append('\n');
    header(out, "relstream_serving_click_histories_erased_total", "Users' clicks deleted by an ERASE_USER "
        + "interaction.", "counter");
    out.append("relstream_serving_click_histories_erased_total ").append(clickHistoriesErased.sum()).append('\n');
    header(out, "relstream_serving_errors_total", "HTTP error answers by kind (4xx and 5xx).", "counter");
    for (Map.Entry<String, LongAdder> e : new TreeMap<>(errors).entrySet()) {
      out.append("relstream_serving_errors_total{kind=\"").append(e.getKey()).append("\"} ")
          .append(e.getValue().sum()).append('\n');
    }
    header(out, "relstream_serving_request_rate", "Requests per second over the last " + RATE_WINDOW_S
        + " s.", "gauge");
    out.append("relstream_serving_request_rate ").append(requestRate()).append('\n');
    Histogram h = recommendLatency();
    header(out, "relstream_serving_recommend_latency_seconds", "Latency of /recommend (GET and POST) since start, "
        + "exact quantiles (HdrHistogram, 3 significant digits).", "summary");
    for (double q : new double[] {0.5, 0.99, 0.999}) {
      out.append("relstream_serving_recommend_latency_seconds{quantile=\"").append(q).append("\"} ")
          .append(h.getTotalCount() == 0 ? "NaN" : Double.toString(h.getValueAtPercentile(q * 100) / 1e9))
          .append('\n');
    }
    out.append("relstream_serving_recommend_latency_seconds_count ").append(h.getTotalCount()).append('\n');
    out.append("relstream_serving_recommend_latency_seconds_max ").append(h.getMaxValue() / 1e9).append('\n');
    for (Map.Entry<String, Supplier<String>> e : new TreeMap<>(infos).entrySet()) {
      header(out, e.getKey(), "Information (the value is always 1).", "gauge");
      out.append(e.getKey()).append('{').append(e.getValue().get()).append("} 1\n");
    }
    for (Map.Entry<String, Gauge> e : new TreeMap<>(gauges).entrySet()) {
      header(out, e.getKey(), e.getValue().help(), "gauge");
      out.append(e.getKey()).append(' ').append(e.getValue().value().getAsLong()).append('\n');
    }
    return out.toString();
  }

  private static void header(StringBuilder out, String name, String help, String type) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }
}
