package io.relstream.ingest;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of the collector and the streams app, rendered in the Prometheus text format (0.0.4).
 * A counter is a name plus an optional {@code reason} label; all names get the prefix
 * {@code relstream_ingest_} and the suffix {@code _total}. Thread-safe.
 */
final class IngestMetrics {
  static final String PREFIX = "relstream_ingest_";

  private final Map<String, String> help = new ConcurrentSkipListMap<>();
  private final Map<String, Map<String, LongAdder>> counters = new ConcurrentHashMap<>();

  /** Declares a counter's help text, so that it is exported (as 0) before its first increment. */
  IngestMetrics declare(String name, String helpText) {
    help.put(name, helpText);
    counters.computeIfAbsent(name, n -> new ConcurrentHashMap<>());
    return this;
  }

  /** Adds 1 to {@code name} (no label). */
  void inc(String name) {
    inc(name, "");
  }

  /** Adds 1 to {@code name{reason="reason"}}; an empty reason means no label. */
  void inc(String name, String reason) {
    add(name, reason, 1);
  }

  void add(String name, String reason, long n) {
    counters.computeIfAbsent(name, k -> new ConcurrentHashMap<>())
        .computeIfAbsent(Objects.requireNonNull(reason), r -> new LongAdder()).add(n);
  }

  /** The current value of a counter (0 when never incremented). */
  long get(String name, String reason) {
    Map<String, LongAdder> m = counters.get(name);
    LongAdder a = m == null ? null : m.get(reason);
    return a == null ? 0 : a.sum();
  }

  long get(String name) {
    return get(name, "");
  }

  /** Sum over all labels of a counter. */
  long total(String name) {
    Map<String, LongAdder> m = counters.get(name);
    return m == null ? 0 : m.values().stream().mapToLong(LongAdder::sum).sum();
  }

  /** All counters in the Prometheus text exposition format, sorted by name and label. */
  String prometheus() {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, Map<String, LongAdder>> e : new TreeMap<>(counters).entrySet()) {
      String full = PREFIX + e.getKey() + "_total";
      sb.append("# HELP ").append(full).append(' ')
          .append(help.getOrDefault(e.getKey(), e.getKey().replace('_', ' '))).append('\n');
      sb.append("# TYPE ").append(full).append(" counter\n");
      Map<String, LongAdder> series = new TreeMap<>(e.getValue());
      if (series.isEmpty()) {
        sb.append(full).append(" 0\n");
      }
      for (Map.Entry<String, LongAdder> s : series.entrySet()) {
        sb.append(full);
        if (!s.getKey().isEmpty()) {
          sb.append("{reason=\"").append(escape(s.getKey())).append("\"}");
        }
        sb.append(' ').append(s.getValue().sum()).append('\n');
      }
    }
    return sb.toString();
  }

  private static String escape(String v) {
    return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
