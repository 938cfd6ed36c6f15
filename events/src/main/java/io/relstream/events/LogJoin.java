package io.relstream.events;

import io.relstream.schemas.avro.Event;
import io.relstream.schemas.avro.Interaction;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * A log of events turned into interactions by the ingest app's rules, in memory and in one pass: validation
 * ({@link EventValidator#check}), stream time (the largest timestamp of the valid events so far), the
 * de-duplication and the join ({@link Joiner}). Fed the records of one events partition in offset order, it
 * emits the same set of interactions as the ingest app did for that partition. {@link #finish} ends the log:
 * stream time passes every deadline, so held impressions and clicks are resolved, not lost.
 *
 * <p>An {@link io.relstream.schemas.avro.Erasure} is applied as the app applies it ({@link Joiner}): the
 * user's held events are dropped (those already past their deadline are emitted first, as decided) and the
 * same {@code ERASE_USER} marker is emitted, so a consumer of a replay sees what a consumer of the
 * interactions topic sees and must apply the marker itself (drop the user's earlier interactions). An
 * erasure does not move stream time.
 *
 * <p>What the live app does besides, and a replay does not: checks against the broker's limits (a replay
 * writes nothing to a broker) and dead letters (a replay counts rejections by reason instead).
 */
public final class LogJoin {
  private final Joiner joiner;
  private final Map<String, Long> rejected = new TreeMap<>();
  private long streamTime;
  private long accepted;
  private long duplicates;
  private long emitted;
  private long erasures;

  /** @param out receives each interaction as it is decided */
  public LogJoin(Joiner.Settings settings, Consumer<Interaction> out) {
    Objects.requireNonNull(out);
    this.joiner = Joiner.inMemory(settings, i -> {
      emitted++;
      out.accept(i);
    });
  }

  /**
   * Takes the next event of the log.
   *
   * @param recordTimestamp the arrival time of an event without a stamped one (a Kafka record's timestamp)
   * @return empty when the event was accepted or was a duplicate, else why it was rejected
   */
  public Optional<String> offer(Event event, long recordTimestamp) {
    Optional<EventValidator.Result> bad = EventValidator.check(event, recordTimestamp);
    if (bad.isPresent()) {
      return reject(bad.get().rejection().label(), bad.get().reason());
    }
    if (Joiner.isErasure(event)) {
      erasures++;
    } else {
      streamTime = Math.max(streamTime, Joiner.timestamp(event));
    }
    Joiner.Verdict v = joiner.process(event, streamTime);
    joiner.expire(streamTime);
    switch (v.outcome()) {
      case ACCEPTED -> accepted++;
      case DUPLICATE -> duplicates++;
      case REFUSED -> {
        return reject("too_many_held", v.reason());
      }
      default -> throw new AssertionError(v);
    }
    return Optional.empty();
  }

  /** Counts a rejection made before an event could be offered (a line that does not parse, say). */
  public Optional<String> reject(String label, String reason) {
    rejected.merge(label, 1L, Long::sum);
    return Optional.of(reason);
  }

  /** The end of the log: everything still held is resolved. */
  public void finish() {
    joiner.finish();
  }

  public long accepted() {
    return accepted;
  }

  public long duplicates() {
    return duplicates;
  }

  public long emitted() {
    return emitted;
  }

  /** Erasures applied (counted in {@link #accepted} too). */
  public long erasures() {
    return erasures;
  }

  /** Rejected events by reason label ({@link EventValidator.Rejection#label()}, {@code too_many_held}, ...). */
  public Map<String, Long> rejected() {
    return Map.copyOf(rejected);
  }
}
