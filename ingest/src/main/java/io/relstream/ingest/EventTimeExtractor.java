package io.relstream.ingest;

import io.relstream.events.EventValidator;
import io.relstream.events.Joiner;
import io.relstream.schemas.Codecs;
import io.relstream.schemas.avro.Event;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * Event time for the events topic: the timestamp inside a decodable {@link Event} that passes validation
 * (the {@link io.relstream.schemas.EventTime} rule against its arrival time included) and that the broker
 * would accept ({@link WriteGuard}). A record that fails must not move stream time (a bogus timestamp would
 * expire every held impression), so it gets the partition's current time ({@code partitionTime}), or 0
 * before the partition has any; the processor sends it to the dead-letter topic with the reason. A valid
 * {@link io.relstream.schemas.avro.Erasure} gets the partition's time too: its {@code requestedAt} is the
 * collector's clock, not an event of the join, and stream time counts events only ({@link Joiner}), as the
 * replay's {@link io.relstream.events.LogJoin} does.
 *
 * <p>The Kafka record's timestamp (the arrival time of an event without a stamped one) is not visible to a
 * processor, which sees only the extracted time, so the extractor hands it on in the header
 * {@value #RECORD_TIME_HEADER} (8 bytes, big-endian), replacing any header of that name a producer wrote.
 */
final class EventTimeExtractor implements TimestampExtractor {
  static final String RECORD_TIME_HEADER = "relstream.record-time";

  private final WriteGuard guard;

  EventTimeExtractor(WriteGuard guard) {
    this.guard = Objects.requireNonNull(guard);
  }

  @Override
  public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
    record.headers().remove(RECORD_TIME_HEADER);
    record.headers().add(RECORD_TIME_HEADER, ByteBuffer.allocate(8).putLong(record.timestamp()).array());
    if (record.value() instanceof byte[] bytes) {
      try {
        Event e = Codecs.EVENT.decode(bytes);
        if (EventValidator.check(e, record.timestamp()).isEmpty() && !Joiner.isErasure(e)) {
          long ts = Joiner.timestamp(e);
          if (guard.timestampRefused(ts) == null) {
            return ts;
          }
        }
      } catch (IllegalArgumentException undecodable) {
        // falls through: the processor dead-letters it with the reason
      }
    }
    return Math.max(0, partitionTime);
  }

  /** The Kafka record timestamp the extractor handed on, else {@code fallback}. */
  static long recordTime(Headers headers, long fallback) {
    Header h = headers == null ? null : headers.lastHeader(RECORD_TIME_HEADER);
    return h == null || h.value() == null || h.value().length != 8 ? fallback : ByteBuffer.wrap(h.value()).getLong();
  }
}
