package io.relstream.serving;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Serving's metrics in the Prometheus text exposition format (version 0.0.4): requests by endpoint
 * and status, a latency histogram per endpoint, consumed and skipped records, and gauges registered
 * by the components (model version, items, applied records, consumer lag). Thread-safe.
 */
final class Metrics {
  /** Upper bounds of the latency buckets, in seconds. */
  static final double[] BUCKETS = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

  private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
  private final Map<String, Histogram> latency = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> consumed = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> skipped = new ConcurrentHashMap<>();
  private final LongAdder applyFailures = new LongAdder();
  private final Map<String, Gauge> gauges = new ConcurrentHashMap<>();

  private record Gauge(String help, LongSupplier value) {}

  private static final class Histogram {
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
    latency.computeIfAbsent(endpoint, x -> new Histogram()).observe(nanos / 1e9);
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
    for (Map.Entry<String, Histogram> e : new TreeMap<>(latency).entrySet()) {
      String ep = e.getKey();
      Histogram h = e.getValue();
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
