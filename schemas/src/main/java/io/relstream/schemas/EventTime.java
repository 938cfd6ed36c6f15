package io.relstream.schemas;

import java.time.Duration;
import java.time.Instant;

/**
 * The one rule for event timestamps, shared by the collector, the streams app and anything that replays a
 * log. It is a function of the record alone, never of a clock or of stream time, so a replay of a log
 * reproduces the live joins.
 *
 * <ul>
 *   <li>An event's {@code timestamp} may not be before {@link #MIN_TIMESTAMP_MS} (2000-01-01T00:00:00Z):
 *       replayed logs are old, so there is no other lower bound.</li>
 *   <li>It may lead the event's <em>arrival time</em> by at most {@link #MAX_LEAD} (5 minutes). The arrival
 *       time is {@code Event.arrivalTime}, stamped by the collector when it accepted the event; for an event
 *       another producer wrote without one, the Kafka record's timestamp stands in.</li>
 * </ul>
 *
 * <p>Why 5 minutes. Stream time (the largest accepted event time of a partition) drives every expiry of the
 * join: held impressions become negatives and held clicks become clicks without impression when stream time
 * passes {@code ts + W} (W = 30 min by default). One event may therefore move stream time at most
 * {@code MAX_LEAD} beyond the latest arrival, far less than W, so no event held at its arrival is resolved
 * early by another event's clock; 5 minutes still admits ordinary client clock skew. An event further ahead is
 * rejected (dead-lettered with the reason), not clamped: clamping would invent a timestamp, and a client whose
 * clock is an hour off should hear so. The broker's own window ({@code message.timestamp.after.max.ms}, 1 h by
 * default) is much wider, so what this rule accepts the broker takes; the streams app still checks each record
 * it writes against the broker's window before writing (see ingest's {@code WriteGuard}).
 *
 * <p>The lead is measured against arrival, never against stream time: after a quiet period (stream time an hour
 * behind the clock), an event stamped with the current time is accepted and joined at once.
 */
public final class EventTime {
  /** 2000-01-01T00:00:00Z: no event of this system is older. */
  public static final long MIN_TIMESTAMP_MS = 946_684_800_000L;
  /** How far an event's timestamp may lead its arrival time. */
  public static final Duration MAX_LEAD = Duration.ofMinutes(5);

  private EventTime() {}

  /**
   * Checks one event timestamp against its arrival time.
   *
   * @return null when the timestamp is acceptable, else the reason (one line)
   */
  public static String check(long timestamp, long arrival) {
    if (timestamp < MIN_TIMESTAMP_MS) {
      return "timestamp " + timestamp + " is before 2000-01-01T00:00:00Z";
    }
    long lead = timestamp - arrival;
    if (lead > MAX_LEAD.toMillis()) {
      return "timestamp " + timestamp + " (" + Instant.ofEpochMilli(timestamp) + ") is " + human(lead)
          + " ahead of its arrival at " + Instant.ofEpochMilli(arrival) + " (at most "
          + human(MAX_LEAD.toMillis()) + " allowed)";
    }
    return null;
  }

  /** The arrival time of an event: its stamped {@code arrivalTime}, else the Kafka record timestamp. */
  public static long arrival(Long arrivalTime, long recordTimestamp) {
    return arrivalTime != null ? arrivalTime : recordTimestamp;
  }

  static String human(long ms) {
    if (ms < 120_000) {
      return (ms / 1000) + " s";
    }
    if (ms < 7_200_000) {
      return (ms / 60_000) + " min";
    }
    return (ms / 3_600_000) + " h";
  }
}
