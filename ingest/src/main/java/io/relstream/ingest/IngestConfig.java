package io.relstream.ingest;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the streams topology.
 *
 * @param joinWindow W: a click joins an impression of the same (user, item) when
 *     {@code impression.ts <= click.ts <= impression.ts + W}; an impression without a click is emitted as a
 *     negative once stream time passes {@code ts + W}, a click without an impression once it passes
 *     {@code click.ts + W}
 * @param dedupeRetention how long (in stream time after first sight) an event id is remembered
 * @param punctuateInterval stream-time interval of the expiry punctuation; the default, 1 ms, runs it whenever
 *     stream time advances; a larger interval means fewer store scans, and expired events are then emitted up
 *     to one interval later (what is emitted does not change: {@link io.relstream.events.Joiner})
 * @param clock the collector's clock (events' arrival times)
 * @param persistentStores RocksDB stores (production) or in-memory ones (topology tests)
 * @param metrics where the streams app counts invalid, duplicate and undecodable events
 * @param writeGuard what the broker accepts (timestamp window, record size), checked before every write;
 *     its clock is the wall clock (the topology's results do not depend on it for records the broker takes)
 */
record IngestConfig(Duration joinWindow, Duration dedupeRetention, Duration punctuateInterval, Clock clock,
    boolean persistentStores, IngestMetrics metrics, WriteGuard writeGuard) {
  static final Duration DEFAULT_JOIN_WINDOW = Duration.ofMinutes(30);
  static final Duration DEFAULT_DEDUPE_RETENTION = Duration.ofHours(1);
  static final Duration DEFAULT_PUNCTUATE_INTERVAL = Duration.ofMillis(1);

  IngestConfig {
    Objects.requireNonNull(clock);
    Objects.requireNonNull(metrics);
    Objects.requireNonNull(writeGuard);
    if (joinWindow.isNegative() || joinWindow.isZero()) {
      throw new IllegalArgumentException("join window must be positive: " + joinWindow);
    }
    if (dedupeRetention.isNegative() || dedupeRetention.isZero()) {
      throw new IllegalArgumentException("dedupe retention must be positive: " + dedupeRetention);
    }
    if (punctuateInterval.isNegative() || punctuateInterval.isZero()) {
      throw new IllegalArgumentException("punctuate interval must be positive: " + punctuateInterval);
    }
  }

  /**
   * Defaults: W = 30 min, retention 1 h, punctuation whenever stream time advances, system clock, RocksDB,
   * Kafka's default broker limits.
   */
  static IngestConfig defaults() {
    return new IngestConfig(DEFAULT_JOIN_WINDOW, DEFAULT_DEDUPE_RETENTION, DEFAULT_PUNCTUATE_INTERVAL,
        Clock.systemUTC(), true, new IngestMetrics(), WriteGuard.kafkaDefaults(Clock.systemUTC()));
  }

  IngestConfig withJoinWindow(Duration w) {
    return new IngestConfig(w, dedupeRetention, punctuateInterval, clock, persistentStores, metrics, writeGuard);
  }

  IngestConfig withDedupeRetention(Duration r) {
    return new IngestConfig(joinWindow, r, punctuateInterval, clock, persistentStores, metrics, writeGuard);
  }

  IngestConfig withPunctuateInterval(Duration d) {
    return new IngestConfig(joinWindow, dedupeRetention, d, clock, persistentStores, metrics, writeGuard);
  }

  IngestConfig withClock(Clock c) {
    return new IngestConfig(joinWindow, dedupeRetention, punctuateInterval, c, persistentStores, metrics, writeGuard);
  }

  IngestConfig withPersistentStores(boolean p) {
    return new IngestConfig(joinWindow, dedupeRetention, punctuateInterval, clock, p, metrics, writeGuard);
  }

  IngestConfig withMetrics(IngestMetrics m) {
    return new IngestConfig(joinWindow, dedupeRetention, punctuateInterval, clock, persistentStores, m, writeGuard);
  }

  IngestConfig withWriteGuard(WriteGuard g) {
    return new IngestConfig(joinWindow, dedupeRetention, punctuateInterval, clock, persistentStores, metrics, g);
  }
}
