package io.relstream.ingest;

import io.relstream.schemas.Codecs;
import io.relstream.schemas.avro.Click;
import io.relstream.schemas.avro.Event;
import io.relstream.schemas.avro.Impression;
import java.util.Objects;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * Event time for the events topic: the timestamp inside a decodable, valid {@link Event}. A record that
 * cannot be decoded or is invalid must not move stream time (a bogus timestamp would expire every pending
 * impression), so it gets the partition's current time ({@code partitionTime}), or 0 before the partition
 * has any (the processor sends such records to the dead-letter topic anyway).
 */
final class EventTimeExtractor implements TimestampExtractor {
  private final EventValidator validator;

  EventTimeExtractor(EventValidator validator) {
    this.validator = Objects.requireNonNull(validator);
  }

  @Override
  public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
    if (record.value() instanceof byte[] bytes) {
      try {
        Event e = Codecs.EVENT.decode(bytes);
        if (validator.check(e).isEmpty()) {
          return e.getPayload() instanceof Impression i ? i.getTimestamp() : ((Click) e.getPayload()).getTimestamp();
        }
      } catch (IllegalArgumentException undecodable) {
        // falls through: the processor dead-letters it with the reason
      }
    }
    return Math.max(0, partitionTime);
  }
}
