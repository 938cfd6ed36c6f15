package io.relstream.ingest;

import io.relstream.schemas.Codecs;
import io.relstream.schemas.EventTime;
import io.relstream.schemas.Topics;
import io.relstream.schemas.avro.Click;
import io.relstream.schemas.avro.DeadLetter;
import io.relstream.schemas.avro.Event;
import io.relstream.schemas.avro.Impression;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.InteractionSource;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
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
 * {@code dead-letter} (key and component {@value #COMPONENT}, reason, raw bytes).
 *
 * <p><b>Keying requirement.</b> All state is local to a task (one input partition). The events topic must
 * be keyed by user id (the collector does so): then every impression and click of a user, and so every
 * (user, item) and (requestId, item) pair, meets in one partition. An event written under another key still
 * gets validated and de-duplicated but can only join events of the same partition.
 *
 * <p><b>Time.</b> Event time ({@link EventTimeExtractor}); all expiry runs on stream time (the largest event
 * time seen by the task) through a stream-time punctuation, so results depend only on the input order, not on
 * wall-clock time. "Stream time passes T" means stream time {@code > T}. An event's timestamp may lead its
 * arrival time by at most {@link EventTime#MAX_LEAD} (the rule and its reasons: {@link EventTime}), so one
 * event moves stream time at most that far past the latest arrival; events beyond it, and events the broker
 * would refuse ({@link WriteGuard}), are dead-lettered and do not move stream time.
 *
 * <p><b>Bounded state per key.</b> At most {@link #MAX_HELD_PER_KEY} events are held under one (user, item)
 * or (requestId, item) of one kind; a further one is dead-lettered (its index entry would otherwise grow
 * without bound, and with it the changelog record, until the broker refused it).
 *
 * <p><b>De-duplication.</b> A valid event whose id was seen within the retention (default 1 h of stream time
 * after its first sight) is dropped and counted. Duplicates are detected only among valid events.
 *
 * <p><b>Join rules</b> (W = join window, default 30 min):
 * <ol>
 *   <li>A click with a requestId joins a pending impression of the same user with the same (requestId,
 *       item), at any time while that impression is held; otherwise it joins by (user, item): the latest
 *       not yet clicked impression with {@code imp.ts <= click.ts <= imp.ts + W}.</li>
 *   <li>A joined click emits label 1, {@code CLICKED_IMPRESSION}, with the impression's event id, timestamp,
 *       requestId, position and propensity, at once.</li>
 *   <li>An impression is held until stream time passes {@code ts + W}; if it was never clicked it is then
 *       emitted as label 0, {@code UNCLICKED_IMPRESSION}. One impression yields exactly one interaction: a
 *       further click that can only match an already clicked impression is a repeat click: counted, dropped.</li>
 *   <li>A click that arrives before its impression (out-of-order delivery) is held until stream time passes
 *       {@code click.ts + W}. An impression that arrives meanwhile claims it, by (requestId, item) first,
 *       else by (user, item) with {@code imp.ts <= click.ts <= imp.ts + W} (earliest click first), and is
 *       emitted as clicked. A held click nobody claimed is emitted as label 1,
 *       {@code CLICK_WITHOUT_IMPRESSION}, with the click's event id and timestamp.</li>
 *   <li>An event that arrives when stream time has already passed its deadline is resolved immediately by
 *       the same rules (a late unclicked impression becomes a negative at once, a late unmatched click a
 *       {@code CLICK_WITHOUT_IMPRESSION}).</li>
 * </ol>
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
  /** Held events of one kind under one join-index key (bounds a changelog record to about 300 KB). */
  static final int MAX_HELD_PER_KEY = 1000;

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
        .declare(TRUNCATED, "Dead letters whose payload was cut to fit the broker's record size limit.");
    for (InteractionSource s : List.of(InteractionSource.CLICKED_IMPRESSION, InteractionSource.UNCLICKED_IMPRESSION,
        InteractionSource.CLICK_WITHOUT_IMPRESSION)) {
      m.declare(EMITTED_PREFIX + s.name().toLowerCase(Locale.ROOT), "Interactions emitted with source " + s + ".");
    }
  }

  private static KeyValueBytesStoreSupplier store(String name, IngestConfig config) {
    return config.persistentStores() ? Stores.persistentKeyValueStore(name) : Stores.inMemoryKeyValueStore(name);
  }

  /** 19-digit zero-padded decimal: string order equals numeric order for non-negative longs. */
  static String pad(long t) {
    String digits = Long.toString(Math.max(0, t)); // 19 digits hold any non-negative long
    return "0".repeat(19 - digits.length()) + digits;
  }

  /** Length-prefixed id: concatenations of these are unambiguous (ids may contain any character). */
  private static String lp(String s) {
    return s.length() + ":" + s;
  }

  static String requestIndexPrefix(char kind, String requestId, String item) {
    return "R|" + kind + "|" + lp(requestId) + lp(item) + "|";
  }

  static String userItemIndexPrefix(char kind, String user, String item) {
    return "U|" + kind + "|" + lp(user) + lp(item) + "|";
  }

  static String expiryKey(long deadline, char kind, String eventId) {
    return pad(deadline) + "|" + kind + "|" + eventId;
  }

  /** Validates, de-duplicates and joins; see the class comment for the rules. Not thread-safe (one per task). */
  static final class IngestProcessor implements Processor<String, byte[], String, Out> {
    private static final char IMP = 'I';
    private static final char CLICK = 'C';
    private static final char SEEN = 'D';

    private final IngestConfig config;
    private final WriteGuard guard;
    private final long window;
    private final long retention;
    private ProcessorContext<String, Out> ctx;
    private KeyValueStore<String, String> seen;
    private KeyValueStore<String, byte[]> pending;
    private KeyValueStore<String, String> index;
    private KeyValueStore<String, String> expiry;
    /**
     * Every expiry entry has a deadline >= this (in memory; 0 after a restart). Scanning from it rather
     * than from 0 keeps each punctuation from walking the tombstones that RocksDB keeps for entries
     * already expired, which made every punctuation slower the longer the app ran.
     */
    private long lowestDeadline;

    IngestProcessor(IngestConfig config) {
      this.config = config;
      this.guard = config.writeGuard();
      this.window = config.joinWindow().toMillis();
      this.retention = config.dedupeRetention().toMillis();
    }

    @Override
    public void init(ProcessorContext<String, Out> context) {
      this.ctx = context;
      this.seen = context.getStateStore(SEEN_STORE);
      this.pending = context.getStateStore(PENDING_STORE);
      this.index = context.getStateStore(INDEX_STORE);
      this.expiry = context.getStateStore(EXPIRY_STORE);
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
      String refused = guard.timestampRefused(EventTimeExtractor.timestamp(event));
      if (refused != null) {
        config.metrics().inc(INVALID, "broker_window");
        deadLetter("event refused before writing: " + refused, bytes);
        return;
      }
      String crowded = crowded(event);
      if (crowded != null) {
        config.metrics().inc(INVALID, "too_many_held");
        deadLetter("event refused: " + crowded, bytes);
        return;
      }
      String eventId = event.getPayload() instanceof Impression i ? i.getEventId()
          : ((Click) event.getPayload()).getEventId();
      if (seen.get(eventId) != null) {
        config.metrics().inc(DUPLICATE);
        return;
      }
      config.metrics().inc(VALID);
      long now = ctx.currentStreamTimeMs();
      seen.put(eventId, Long.toString(now));
      addExpiry(now + retention, SEEN, eventId);
      if (event.getPayload() instanceof Impression imp) {
        onImpression(imp, now);
      } else {
        onClick((Click) event.getPayload(), now);
      }
    }

    /** Null when the event's join-index lists have room, else why not. */
    private String crowded(Event event) {
      boolean impression = event.getPayload() instanceof Impression;
      char kind = impression ? IMP : CLICK;
      String user = impression ? ((Impression) event.getPayload()).getUser() : ((Click) event.getPayload()).getUser();
      String item = impression ? ((Impression) event.getPayload()).getItem() : ((Click) event.getPayload()).getItem();
      String req = impression ? ((Impression) event.getPayload()).getRequestId()
          : ((Click) event.getPayload()).getRequestId();
      String what = impression ? "impressions" : "clicks";
      if (IndexList.size(index.get(userItemIndexPrefix(kind, user, item))) >= MAX_HELD_PER_KEY) {
        return MAX_HELD_PER_KEY + " " + what + " of this user and item are already held within the join window";
      }
      if (req != null && IndexList.size(index.get(requestIndexPrefix(kind, req, item))) >= MAX_HELD_PER_KEY) {
        return MAX_HELD_PER_KEY + " " + what + " of this request and item are already held within the join window";
      }
      return null;
    }

    private void onImpression(Impression imp, long streamTime) {
      Interaction click = null;
      if (imp.getRequestId() != null) {
        for (String id : IndexList.ids(index.get(requestIndexPrefix(CLICK, imp.getRequestId(), imp.getItem())))) {
          Interaction c = get(id);
          if (c != null && c.getUser().equals(imp.getUser())) {
            click = c;
            break;
          }
        }
      }
      if (click == null) {
        String key = userItemIndexPrefix(CLICK, imp.getUser(), imp.getItem());
        for (String id : IndexList.idsBetween(index.get(key), imp.getTimestamp(), imp.getTimestamp() + window)) {
          click = get(id);
          if (click != null) {
            break;
          }
        }
      }
      Interaction i = Interaction.newBuilder().setEventId(imp.getEventId()).setUser(imp.getUser())
          .setItem(imp.getItem()).setTimestamp(imp.getTimestamp()).setLabel(0)
          .setSource(InteractionSource.UNCLICKED_IMPRESSION).setRequestId(imp.getRequestId())
          .setPosition(imp.getPosition()).setPropensity(imp.getPropensity()).build();
      if (click != null) {
        remove(click, CLICK);
        markClicked(i);
        emit(i);
      }
      long deadline = imp.getTimestamp() + window;
      if (deadline < streamTime) {
        if (click == null) {
          emit(i);
        }
        return;
      }
      hold(i, IMP);
    }

    private void onClick(Click c, long streamTime) {
      Interaction target = null;
      boolean repeat = false;
      if (c.getRequestId() != null) {
        for (String id : IndexList.ids(index.get(requestIndexPrefix(IMP, c.getRequestId(), c.getItem())))) {
          Interaction imp = get(id);
          if (imp == null || !imp.getUser().equals(c.getUser())) {
            continue;
          }
          if (imp.getLabel() == 0) {
            target = imp;
            break;
          }
          repeat = true;
        }
      }
      if (target == null && !repeat) {
        String key = userItemIndexPrefix(IMP, c.getUser(), c.getItem());
        for (String id : IndexList.idsBetween(index.get(key), c.getTimestamp() - window, c.getTimestamp())) {
          Interaction imp = get(id);
          if (imp == null) {
            continue;
          }
          if (imp.getLabel() == 0) {
            target = imp; // ascending time: the last one seen is the latest
          } else {
            repeat = true;
          }
        }
      }
      if (target != null) {
        markClicked(target);
        pending.put(target.getEventId(), Codecs.INTERACTION.encode(target));
        emit(target);
        return;
      }
      if (repeat) {
        config.metrics().inc(REPEAT_CLICKS);
        return;
      }
      Interaction i = Interaction.newBuilder().setEventId(c.getEventId()).setUser(c.getUser()).setItem(c.getItem())
          .setTimestamp(c.getTimestamp()).setLabel(1).setSource(InteractionSource.CLICK_WITHOUT_IMPRESSION)
          .setRequestId(c.getRequestId()).setPosition(null).setPropensity(null).build();
      if (c.getTimestamp() + window < streamTime) {
        emit(i);
        return;
      }
      hold(i, CLICK);
    }

    private static void markClicked(Interaction imp) {
      imp.setLabel(1);
      imp.setSource(InteractionSource.CLICKED_IMPRESSION);
    }

    /** Stores an impression or click with its index and expiry entries. */
    private void hold(Interaction i, char kind) {
      pending.put(i.getEventId(), Codecs.INTERACTION.encode(i));
      if (i.getRequestId() != null) {
        String key = requestIndexPrefix(kind, i.getRequestId(), i.getItem());
        index.put(key, IndexList.add(index.get(key), i.getTimestamp(), i.getEventId()));
      }
      String key = userItemIndexPrefix(kind, i.getUser(), i.getItem());
      index.put(key, IndexList.add(index.get(key), i.getTimestamp(), i.getEventId()));
      addExpiry(i.getTimestamp() + window, kind, i.getEventId());
    }

    /** Removes what {@link #hold} stored. */
    private void remove(Interaction i, char kind) {
      pending.delete(i.getEventId());
      if (i.getRequestId() != null) {
        unindex(requestIndexPrefix(kind, i.getRequestId(), i.getItem()), i.getEventId());
      }
      unindex(userItemIndexPrefix(kind, i.getUser(), i.getItem()), i.getEventId());
      expiry.delete(expiryKey(i.getTimestamp() + window, kind, i.getEventId()));
    }

    private Interaction get(String eventId) {
      byte[] b = pending.get(eventId);
      return b == null ? null : Codecs.INTERACTION.decode(b);
    }

    private void unindex(String key, String eventId) {
      String rest = IndexList.remove(index.get(key), eventId);
      if (rest == null) {
        index.delete(key);
      } else {
        index.put(key, rest);
      }
    }

    private void addExpiry(long deadline, char kind, String eventId) {
      lowestDeadline = Math.min(lowestDeadline, Math.max(0, deadline));
      expiry.put(expiryKey(deadline, kind, eventId), "");
    }

    /** Stream-time punctuation: resolves everything whose deadline stream time has passed, in deadline order. */
    void expire(long streamTime) {
      if (streamTime - 1 < lowestDeadline) {
        return;
      }
      List<KeyValue<String, String>> due = new ArrayList<>();
      try (KeyValueIterator<String, String> it = expiry.range(pad(lowestDeadline), pad(streamTime - 1) + "}")) {
        it.forEachRemaining(due::add);
      }
      lowestDeadline = streamTime;
      for (KeyValue<String, String> kv : due) {
        String key = kv.key;
        expiry.delete(key);
        char kind = key.charAt(20);
        String eventId = key.substring(22);
        if (kind == SEEN) {
          seen.delete(eventId);
          continue;
        }
        Interaction i = get(eventId);
        if (i == null) {
          continue;
        }
        if (kind == IMP && i.getLabel() == 0 || kind == CLICK) {
          emit(i);
        }
        remove(i, kind);
      }
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
}
