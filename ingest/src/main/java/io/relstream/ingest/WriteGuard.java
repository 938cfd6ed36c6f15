package io.relstream.ingest;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Objects;

/**
 * What the broker would refuse, checked by the streams app before it writes. Under exactly-once a write the
 * broker refuses ({@code InvalidRecordException}: timestamp out of range, {@code RecordTooLargeException})
 * aborts the whole transaction and stops the stream thread, and since the app re-reads the same input after a
 * restart it would stop again: an exception handler cannot save it. So every record the app writes is checked
 * first, and what fails goes to the dead-letter topic with the reason:
 *
 * <ul>
 *   <li>the timestamp every write of an input record carries (its event time: changelog records, and the
 *       interactions it emits) must lie within the topics' {@code message.timestamp.after.max.ms} /
 *       {@code before.max.ms} of the broker's clock, less a margin for skew between this clock and the
 *       broker's ({@link #margin}): an event outside is dead-lettered before it touches a store, and does not
 *       move stream time;</li>
 *   <li>a record's key and value must fit {@code max.message.bytes} (and the producer's
 *       {@code max.request.size}) with room for the batch framing ({@link #FRAMING_BYTES}); a dead letter that
 *       would not fit carries a prefix of its payload and says so (the whole input stays on its topic, at the
 *       offset the reason names).</li>
 * </ul>
 * This check uses a clock and is about the broker, not about the data: it only refuses what the broker would
 * refuse anyway. The data rule is {@link io.relstream.schemas.EventTime}.
 *
 * @param maxLeadMs how far ahead of the broker's clock a timestamp may be (the smallest
 *     {@code message.timestamp.after.max.ms} of the topics written)
 * @param maxLagMs how far behind it may be ({@code message.timestamp.before.max.ms}; Long.MAX_VALUE: no bound)
 * @param maxRecordBytes the largest record (key + value) any written topic and the producer accept
 */
record WriteGuard(long maxLeadMs, long maxLagMs, int maxRecordBytes, Clock clock) {
  /** Kafka's defaults: 1 h ahead, no bound behind, 1 MiB records (the producer's max.request.size). */
  static final long DEFAULT_MAX_LEAD_MS = 3_600_000L;
  static final int DEFAULT_MAX_RECORD_BYTES = 1_048_576;
  /** Record batch header, record framing and headers: generous, so a record at the limit still fits. */
  static final int FRAMING_BYTES = 1024;

  WriteGuard {
    Objects.requireNonNull(clock);
    if (maxLeadMs <= 0 || maxLagMs <= 0 || maxRecordBytes <= FRAMING_BYTES) {
      throw new IllegalArgumentException("bad broker limits: lead " + maxLeadMs + " ms, lag " + maxLagMs
          + " ms, record " + maxRecordBytes + " bytes");
    }
  }

  static WriteGuard kafkaDefaults(Clock clock) {
    return new WriteGuard(DEFAULT_MAX_LEAD_MS, Long.MAX_VALUE, DEFAULT_MAX_RECORD_BYTES, clock);
  }

  /** Allowance for this clock and the broker's disagreeing: a tenth of the window, at most a minute. */
  static long margin(long windowMs) {
    return Math.min(60_000L, windowMs / 10);
  }

  /** @return null when the broker would take a record with timestamp {@code ts} now, else the reason */
  String timestampRefused(long ts) {
    long now = clock.millis();
    if (ts > now + maxLeadMs - margin(maxLeadMs)) {
      return "timestamp " + ts + " (" + Instant.ofEpochMilli(ts) + ") is beyond the broker's window of "
          + maxLeadMs + " ms ahead of its clock (now " + Instant.ofEpochMilli(now) + "): the broker would refuse"
          + " the records it produces";
    }
    if (maxLagMs != Long.MAX_VALUE && ts < now - maxLagMs + margin(maxLagMs)) {
      return "timestamp " + ts + " (" + Instant.ofEpochMilli(ts) + ") is beyond the broker's window of "
          + maxLagMs + " ms behind its clock (now " + Instant.ofEpochMilli(now) + "): the broker would refuse"
          + " the records it produces";
    }
    return null;
  }

  /** Whether a record of this key and value fits. */
  boolean fits(String key, int valueBytes) {
    return keyBytes(key) + (long) valueBytes + FRAMING_BYTES <= maxRecordBytes;
  }

  /** The largest value that fits with this key. */
  int maxValueBytes(String key) {
    return Math.max(0, maxRecordBytes - FRAMING_BYTES - keyBytes(key));
  }

  private static int keyBytes(String key) {
    return key == null ? 0 : key.getBytes(StandardCharsets.UTF_8).length;
  }
}
