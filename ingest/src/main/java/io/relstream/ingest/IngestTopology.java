package io.relstream.ingest;

import io.relstream.events.EventValidator;
import io.relstream.events.JoinStore;
import io.relstream.events.Joiner;
import io.relstream.schemas.Codecs;
import io.relstream.schemas.EventTime;
import io.relstream.schemas.Topics;
import io.relstream.schemas.avro.Click;
import io.relstream.schemas.avro.DeadLetter;
import io.relstream.schemas.avro.Erasure;
import io.relstream.schemas.avro.Event;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.InteractionSource;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The ingest Kafka Streams topology: {@code events} → decode → validate → de-duplicate → join clicks with
 * impressions → {@code interactions} (key = user, {@link Codecs#INTERACTION}); rejected input →
 * {@code dead-letter} (key and component {@value #COMPONENT}, reason, raw bytes). Validation
 * ({@link EventValidator}), de-duplication and the join ({@link Joiner}) are the Kafka-free rules of the
 * {@code events} module, which a replay of a log runs too; this class adapts them to Kafka Streams (stores,
 * stream time, punctuation, dead letters, the broker's limits).
 *
 * <p><b>Keying requirement.</b> All state is local to a task (one input partition). The events topic must
 * be keyed by user id (the collector does so): then every impression and click of a user, and so every
 * (user, item) and (requestId, item) pair, meets in one partition. An event written under another key still
 * gets validated and de-duplicated but can only join events of the same partition.
 *
 * <p><b>Time.</b> Event time ({@link EventTimeExtractor}); all expiry runs on stream time (the largest event
 * time seen by the task), so results depend only on the input order, not on wall-clock time nor on when the
 * expiry punctuation runs ({@link Joiner}). An event's timestamp may lead its arrival time by at most
 * {@link EventTime#MAX_LEAD} (the rule and its reasons: {@link EventTime}), so one event moves stream time at
 * most that far past the latest arrival; events beyond it, and events the broker would refuse
 * ({@link WriteGuard}), are dead-lettered and do not move stream time.
 *
 * <p><b>Bounded state per key.</b> At most {@link #MAX_HELD_PER_KEY} events are held under one (user, item)
 * or (requestId, item) of one kind; a further one is dead-lettered (its index entry would otherwise grow
 * without bound, and with it the changelog record, until the broker refused it).
 *
 * <p><b>De-duplication.</b> A valid event whose id was seen within the retention (default 1 h of stream time
 * after its first sight) is dropped and counted. Duplicates are detected only among valid events.
 *
 * <p><b>Erasure.</b> An {@link Erasure} of user U (the collector's {@code DELETE /users/{id}}) is validated like
 * an event (a bad user id is dead-lettered with the reason) and applied by {@link Joiner}: U's held impressions
 * and clicks are dropped from the stores, so none is emitted later, and one {@code ERASE_USER} interaction
 * goes to {@code interactions} keyed by U, after U's interactions decided before it. It does not move stream
 * time. Counted: {@value #ERASURES}, {@value #ERASED_HELD}.
 *
 * <p>The join rules are {@link Joiner}'s.
 */
final class IngestTopology {
  static final String COMPONENT = "streams";
  static final String SEEN_STORE = "ingest-seen";
  static final String PENDING_STORE = "ingest-pending";
  /**
   * Join index: key {@link #requestIndexPrefix} or {@link #userItemIndexPrefix} (exact keys), value the
   * list of held events under it ({@link IndexList}). v2: v1 kept one key per event and found them by
   * prefix and range scans, and a RocksDB seek that walks the tombstones of deleted entries took most of
   * the stream thread's time (18 of 21 processing samples); lookups are now point gets.
   */
  static final String INDEX_STORE = "ingest-index-v2";
  static final String EXPIRY_STORE = "ingest-expiry";

  static final String UNDECODABLE = "streams_events_undecodable";
  static final String INVALID = "streams_events_invalid";
  static final String DUPLICATE = "streams_events_duplicate";
  static final String VALID = "streams_events_valid";
  static final String REPEAT_CLICKS = "streams_clicks_repeated";
  static final String EMITTED_PREFIX = "streams_interactions_";
  static final String REFUSED_WRITES = "streams_writes_refused";
  static final String TRUNCATED = "streams_dead_letters_truncated";
  static final String ERASURES = "streams_erasures";
  static final String ERASED_HELD = "streams_erased_held_events";
  /** Held events of one kind under one join-index key (bounds a changelog record to about 300 KB). */
  static final int MAX_HELD_PER_KEY = Joiner.MAX_HELD_PER_KEY;

  private IngestTopology() {}

  /** One output of the processor: a dead letter or an interaction, already encoded. */
  record Out(boolean deadLetter, byte[] value) {}

  /**
   * Adds the topology to {@code builder}. The stores are cached: an entry written and deleted within one
   * commit interval (a click joined right after its impression, an id expiring) never reaches RocksDB
   * or its changelog, which is most of the write traffic.
   */
  static void build(StreamsBuilder builder, IngestConfig config) {
    declareMetrics(config.metrics());
    builder.addStateStore(Stores.keyValueStoreBuilder(store(SEEN_STORE, config), Serdes.String(), Serdes.String())
        .withCachingEnabled());
    builder.addStateStore(Stores.keyValueStoreBuilder(store(PENDING_STORE, config), Serdes.String(),
        Serdes.ByteArray()).withCachingEnabled());
    builder.addStateStore(Stores.keyValueStoreBuilder(store(INDEX_STORE, config), Serdes.String(), Serdes.String())
        .withCachingEnabled());
    builder.addStateStore(Stores.keyValueStoreBuilder(store(EXPIRY_STORE, config), Serdes.String(),
        Serdes.String()).withCachingEnabled());
    KStream<String, Out> out = builder
        .stream(Topics.EVENTS, Consumed.with(Serdes.String(), Serdes.ByteArray())
            .withTimestampExtractor(new EventTimeExtractor(config.writeGuard())).withName("events"))
        .process(() -> new IngestProcessor(config), Named.as("ingest"), SEEN_STORE, PENDING_STORE, INDEX_STORE,
            EXPIRY_STORE);
    out.split(Named.as("route-"))
        .branch((k, v) -> v.deadLetter(), Branched.withConsumer(s -> s.mapValues(Out::value, Named.as("dl-bytes"))
            .to(Topics.DEAD_LETTER, Produced.with(Serdes.String(), Serdes.ByteArray()).withName("dead-letter")),
            "dead-letter"))
        .defaultBranch(Branched.withConsumer(s -> s.mapValues(Out::value, Named.as("interaction-bytes"))
            .to(Topics.INTERACTIONS, Produced.with(Serdes.String(), Serdes.ByteArray()).withName("interactions")),
            "interactions"));
  }

  static void declareMetrics(IngestMetrics m) {
    m.declare(UNDECODABLE, "Records on the events topic that are not Avro Events.")
        .declare(INVALID, "Decodable events that failed validation, by reason class.")
        .declare(DUPLICATE, "Valid events dropped because their id was seen within the retention.")
        .declare(VALID, "Valid, first-seen events processed by the streams app.")
        .declare(REPEAT_CLICKS, "Clicks dropped because they only matched an already clicked impression.")
        .declare(REFUSED_WRITES, "Interactions dead-lettered instead of written because the broker would refuse them.")
        .declare(TRUNCATED, "Dead letters whose payload was cut to fit the broker's record size limit.")
        .declare(ERASURES, "Erasures of users applied (each emits one ERASE_USER interaction).")
        .declare(ERASED_HELD, "Held impressions and clicks dropped unemitted by an erasure of their user.");
    for (InteractionSource s : List.of(InteractionSource.CLICKED_IMPRESSION, InteractionSource.UNCLICKED_IMPRESSION,
        InteractionSource.CLICK_WITHOUT_IMPRESSION, InteractionSource.ERASE_USER)) {
      m.declare(EMITTED_PREFIX + s.name().toLowerCase(Locale.ROOT), "Interactions emitted with source " + s + ".");
    }
  }

  private static KeyValueBytesStoreSupplier store(String name, IngestConfig config) {
    return config.persistentStores() ? Stores.persistentKeyValueStore(name) : Stores.inMemoryKeyValueStore(name);
  }

  /** Validates, de-duplicates and joins ({@link Joiner}); not thread-safe (one per task). */
  static final class IngestProcessor implements Processor<String, byte[], String, Out> {
    private final IngestConfig config;
    private final WriteGuard guard;
    private ProcessorContext<String, Out> ctx;
    private Joiner joiner;

    IngestProcessor(IngestConfig config) {
      this.config = config;
      this.guard = config.writeGuard();
    }

    @Override
    public void init(ProcessorContext<String, Out> context) {
      this.ctx = context;
      Joiner.Settings settings = new Joiner.Settings(config.joinWindow().toMillis(),
          config.dedupeRetention().toMillis(), MAX_HELD_PER_KEY);
      joiner = new Joiner(settings, store(context, SEEN_STORE), store(context, PENDING_STORE),
          store(context, INDEX_STORE), store(context, EXPIRY_STORE), new Joiner.Output() {
            @Override
            public void interaction(Interaction i) {
              emit(i);
            }

            @Override
            public void repeatClick(Click c) {
              config.metrics().inc(REPEAT_CLICKS);
            }

            @Override
            public void erased(Erasure e, int dropped) {
              config.metrics().inc(ERASURES);
              config.metrics().add(ERASED_HELD, "", dropped);
            }
          });
      context.schedule(config.punctuateInterval(), PunctuationType.STREAM_TIME, this::expire);
    }

    @Override
    public void process(Record<String, byte[]> record) {
      byte[] bytes = record.value();
      if (bytes == null) {
        config.metrics().inc(UNDECODABLE);
        deadLetter("undecodable event: null value", new byte[0]);
        return;
      }
      Event event;
      try {
        event = Codecs.EVENT.decode(bytes);
      } catch (IllegalArgumentException e) {
        config.metrics().inc(UNDECODABLE);
        deadLetter("undecodable event: " + e.getMessage(), bytes);
        return;
      }
      Optional<EventValidator.Result> bad =
          EventValidator.check(event, EventTimeExtractor.recordTime(record.headers(), record.timestamp()));
      if (bad.isPresent()) {
        config.metrics().inc(INVALID, bad.get().rejection().label());
        deadLetter("invalid event: " + bad.get().reason(), bytes);
        return;
      }
      String refused = guard.timestampRefused(Joiner.timestamp(event));
      if (refused != null) {
        config.metrics().inc(INVALID, "broker_window");
        deadLetter("event refused before writing: " + refused, bytes);
        return;
      }
      Joiner.Verdict v = joiner.process(event, ctx.currentStreamTimeMs());
      switch (v.outcome()) {
        case ACCEPTED -> config.metrics().inc(VALID);
        case DUPLICATE -> config.metrics().inc(DUPLICATE);
        case REFUSED -> {
          config.metrics().inc(INVALID, "too_many_held");
          deadLetter("event refused: " + v.reason(), bytes);
        }
        default -> throw new AssertionError(v);
      }
    }

    /** Stream-time punctuation: resolves everything whose deadline stream time has passed. */
    void expire(long streamTime) {
      joiner.expire(streamTime);
    }

    /** Forwards an interaction, or dead-letters it when the broker would refuse it. */
    private void emit(Interaction i) {
      byte[] value = Codecs.INTERACTION.encode(i);
      String refused = guard.timestampRefused(i.getTimestamp());
      if (refused == null && !guard.fits(i.getUser(), value.length)) {
        refused = "record of " + value.length + " bytes exceeds the broker's limit of " + guard.maxRecordBytes();
      }
      if (refused != null) {
        config.metrics().inc(REFUSED_WRITES);
        deadLetter("interaction refused before writing: " + refused, value);
        return;
      }
      config.metrics().inc(EMITTED_PREFIX + i.getSource().name().toLowerCase(Locale.ROOT));
      ctx.forward(new Record<>(i.getUser(), new Out(false, value), i.getTimestamp()));
    }

    /**
     * Forwards a dead letter; its record is stamped with the wall clock (always inside the broker's window). A payload too
     * large for one record is cut to fit, and the reason says where the whole input is.
     */
    private void deadLetter(String reason, byte[] raw) {
      long now = guard.clock().millis();
      DeadLetter dl = DeadLetter.newBuilder().setComponent(COMPONENT).setReason(reason)
          .setPayload(ByteBuffer.wrap(raw)).setTimestamp(config.clock().millis()).build();
      byte[] value = Codecs.DEAD_LETTER.encode(dl);
      if (!guard.fits(COMPONENT, value.length)) {
        String at = ctx.recordMetadata().map(m -> m.topic() + "-" + m.partition() + " at offset " + m.offset())
            .orElse("its input topic");
        String note = reason + " (payload cut from " + raw.length + " bytes to fit the broker's record limit;"
            + " the whole record is on " + at + ")";
        dl.setReason(note);
        dl.setPayload(ByteBuffer.allocate(0));
        // the payload's length prefix is a varint of at most 5 bytes
        int keep = Math.max(0, Math.min(raw.length, guard.maxValueBytes(COMPONENT) - Codecs.DEAD_LETTER.encode(dl).length - 5));
        dl.setPayload(ByteBuffer.wrap(raw, 0, keep).slice());
        value = Codecs.DEAD_LETTER.encode(dl);
        config.metrics().inc(TRUNCATED);
      }
      ctx.forward(new Record<>(COMPONENT, new Out(true, value), now));
    }
  }

  /** A Kafka Streams store seen as the join's {@link JoinStore}. */
  private static <V> JoinStore<V> store(ProcessorContext<?, ?> context, String name) {
    KeyValueStore<String, V> kv = context.getStateStore(name);
    return new JoinStore<>() {
      @Override
      public V get(String key) {
        return kv.get(key);
      }

      @Override
      public void put(String key, V value) {
        kv.put(key, value);
      }

      @Override
      public void delete(String key) {
        kv.delete(key);
      }

      @Override
      public List<String> keysBetween(String from, String to) {
        List<String> keys = new ArrayList<>();
        try (KeyValueIterator<String, V> it = kv.range(from, to)) {
          it.forEachRemaining(e -> keys.add(e.key));
        }
        return keys;
      }
    };
  }
}
