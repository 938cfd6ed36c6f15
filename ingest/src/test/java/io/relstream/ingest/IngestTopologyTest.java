package io.relstream.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.schemas.Codecs;
import io.relstream.schemas.Topics;
import io.relstream.schemas.avro.Click;
import io.relstream.schemas.avro.DeadLetter;
import io.relstream.schemas.avro.Erasure;
import io.relstream.schemas.avro.Event;
import io.relstream.schemas.avro.Impression;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.InteractionSource;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class IngestTopologyTest {
  static final long T0 = 1_764_300_000_000L;
  static final long W = Duration.ofMinutes(30).toMillis();
  static final long HOUR = 3_600_000L;

  private IngestMetrics metrics;
  private TopologyTestDriver driver;
  private TestInputTopic<String, byte[]> events;
  private TestOutputTopic<String, byte[]> interactions;
  private TestOutputTopic<String, byte[]> deadLetters;

  @BeforeEach
  void setUp() {
    start(WriteGuard.kafkaDefaults(Clock.systemUTC()));
  }

  /** (Re)starts the driver with these broker limits. */
  private void start(WriteGuard guard) {
    if (driver != null) {
      driver.close();
    }
    metrics = new IngestMetrics();
    // the collector's clock (dead letters' timestamps)
    Clock clock = Clock.fixed(Instant.ofEpochMilli(T0 + 24 * HOUR), ZoneOffset.UTC);
    IngestConfig config = IngestConfig.defaults().withClock(clock).withMetrics(metrics).withPersistentStores(false)
        .withWriteGuard(guard);
    StreamsBuilder b = new StreamsBuilder();
    IngestTopology.build(b, config);
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, "ingest-test");
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    driver = new TopologyTestDriver(b.build(), p);
    events = driver.createInputTopic(Topics.EVENTS, new StringSerializer(), new ByteArraySerializer());
    interactions = driver.createOutputTopic(Topics.INTERACTIONS, new StringDeserializer(), new ByteArrayDeserializer());
    deadLetters = driver.createOutputTopic(Topics.DEAD_LETTER, new StringDeserializer(), new ByteArrayDeserializer());
  }

  @AfterEach
  void tearDown() {
    driver.close();
  }

  static Impression imp(String id, String user, String item, long ts, String req, Integer pos, Double prop) {
    return Impression.newBuilder().setEventId(id).setUser(user).setItem(item).setTimestamp(ts).setRequestId(req)
        .setPosition(pos).setPropensity(prop).build();
  }

  static Click click(String id, String user, String item, long ts, String req) {
    return Click.newBuilder().setEventId(id).setUser(user).setItem(item).setTimestamp(ts).setRequestId(req).build();
  }

  private void send(Object payload) {
    String user = payload instanceof Impression i ? i.getUser() : ((Click) payload).getUser();
    events.pipeInput(user, Codecs.EVENT.encode(Event.newBuilder().setPayload(payload).build()));
  }

  /** Sends an event stamped with its arrival time, as the collector writes it. */
  private void sendArrived(Object payload, long arrival) {
    String user = payload instanceof Impression i ? i.getUser() : ((Click) payload).getUser();
    events.pipeInput(user, Codecs.EVENT.encode(Event.newBuilder().setPayload(payload).setArrivalTime(arrival).build()),
        arrival);
  }

  /** Advances u's partition's stream time to {@code ts} with an impression of an unrelated item. */
  private void tick(long ts) {
    send(imp("tick-" + ts, "u1", "tick", ts, null, null, null));
  }

  private List<Interaction> out() {
    return interactions.readKeyValuesToList().stream().map(kv -> {
      Interaction i = Codecs.INTERACTION.decode(kv.value);
      assertEquals(i.getUser(), kv.key, "interactions are keyed by user");
      return i;
    }).filter(i -> !i.getItem().equals("tick")).toList();
  }

  private List<DeadLetter> dead() {
    return deadLetters.readKeyValuesToList().stream().map(kv -> {
      assertEquals(IngestTopology.COMPONENT, kv.key);
      return Codecs.DEAD_LETTER.decode(kv.value);
    }).toList();
  }

  static Interaction clicked(Impression i) {
    return Interaction.newBuilder().setEventId(i.getEventId()).setUser(i.getUser()).setItem(i.getItem())
        .setTimestamp(i.getTimestamp()).setLabel(1).setSource(InteractionSource.CLICKED_IMPRESSION)
        .setRequestId(i.getRequestId()).setPosition(i.getPosition()).setPropensity(i.getPropensity()).build();
  }

  static Interaction unclicked(Impression i) {
    return Interaction.newBuilder(clicked(i)).setLabel(0).setSource(InteractionSource.UNCLICKED_IMPRESSION).build();
  }

  static Interaction clickOnly(Click c) {
    return Interaction.newBuilder().setEventId(c.getEventId()).setUser(c.getUser()).setItem(c.getItem())
        .setTimestamp(c.getTimestamp()).setLabel(1).setSource(InteractionSource.CLICK_WITHOUT_IMPRESSION)
        .setRequestId(c.getRequestId()).setPosition(null).setPropensity(null).build();
  }

  @Test
  void joinsAClickToItsImpressionByRequestIdOnce() {
    Impression i = imp("e1", "u1", "i9", T0, "r1", 1, 0.2);
    send(i);
    assertEquals(List.of(), out());
    send(click("e2", "u1", "i9", T0 + 1000, "r1"));
    assertEquals(List.of(clicked(i)), out());
    tick(T0 + W + 1);
    tick(T0 + 3 * W);
    assertEquals(List.of(), out(), "a clicked impression yields no second interaction");
    assertEquals(1, metrics.get(IngestTopology.EMITTED_PREFIX + "clicked_impression"));
  }

  @Test
  void requestIdMatchWinsOverTheLatestImpressionOfTheSameItem() {
    Impression a = imp("e1", "u1", "i9", T0, "r1", 2, 0.5);
    Impression b = imp("e3", "u1", "i9", T0 + 10_000, "r2", 1, 0.1);
    send(a);
    send(b);
    send(click("e4", "u1", "i9", T0 + 20_000, "r1"));
    assertEquals(List.of(clicked(a)), out());
    tick(T0 + 10_000 + W + 1);
    assertEquals(List.of(unclicked(b)), out());
  }

  @Test
  void joinsByUserAndItemWithinTheWindow() {
    Impression i = imp("e1", "u1", "i9", T0, null, 3, 0.3);
    send(i);
    send(click("e2", "u1", "i9", T0 + W, "no-such-request"));
    assertEquals(List.of(clicked(i)), out(), "unknown requestId falls back to (user, item) within W");
  }

  @Test
  void clickOutsideTheWindowDoesNotJoin() {
    Impression i = imp("e1", "u1", "i9", T0, null, 3, 0.3);
    send(i);
    Click c = click("e2", "u1", "i9", T0 + W + 1, null);
    send(c);
    assertEquals(List.of(unclicked(i)), out(), "the click moved stream time past T0 + W");
    tick(T0 + 2 * W + 1);
    assertEquals(List.of(), out(), "deadline of the click is T0 + 2W + 1: not yet passed");
    tick(T0 + 2 * W + 2);
    assertEquals(List.of(clickOnly(c)), out());
  }

  @Test
  void emitsTheNegativeOnlyWhenStreamTimePassesTsPlusWindow() {
    Impression i = imp("e1", "u1", "i9", T0, "r1", 1, null);
    send(i);
    tick(T0 + W);
    assertEquals(List.of(), out());
    tick(T0 + W + 1);
    assertEquals(List.of(unclicked(i)), out());
    assertEquals(1, metrics.get(IngestTopology.EMITTED_PREFIX + "unclicked_impression"));
  }

  @Test
  void otherUsersStreamTimeDoesNotMatterButTheirClicksDoNotJoin() {
    Impression i = imp("e1", "u1", "i9", T0, null, null, null);
    send(i);
    Click c = click("e2", "u2", "i9", T0 + 1000, null);
    send(c);
    tick(T0 + 2 * W);
    assertEquals(List.of(unclicked(i), clickOnly(c)), out());
  }

  @Test
  void clickWithoutImpressionIsEmittedAfterItsWindow() {
    Click c = click("e2", "u1", "i7", T0, "r5");
    send(c);
    tick(T0 + W);
    assertEquals(List.of(), out(), "held: its impression may still arrive");
    tick(T0 + W + 1);
    assertEquals(List.of(clickOnly(c)), out());
  }

  @Test
  void clickBeforeItsImpressionIsHeldAndJoinedOnce() {
    Click c = click("e2", "u1", "i9", T0 + 5000, "r1");
    send(c);
    Impression i = imp("e1", "u1", "i9", T0, "r1", 4, 0.05);
    send(i);
    assertEquals(List.of(clicked(i)), out());
    tick(T0 + 5000 + W + 1);
    tick(T0 + 5 * W);
    assertEquals(List.of(), out(), "neither a negative nor a click-only record later");
  }

  @Test
  void clickBeforeItsImpressionJoinsByUserAndItemToo() {
    Click c = click("e2", "u1", "i9", T0 + 5000, null);
    send(c);
    Impression i = imp("e1", "u1", "i9", T0, null, 4, 0.05);
    send(i);
    assertEquals(List.of(clicked(i)), out());
  }

  @Test
  void repeatClicksOnOneImpressionCountOnce() {
    Impression i = imp("e1", "u1", "i9", T0, "r1", 1, 0.2);
    send(i);
    send(click("e2", "u1", "i9", T0 + 1000, "r1"));
    send(click("e3", "u1", "i9", T0 + 2000, "r1"));
    send(click("e4", "u1", "i9", T0 + 3000, null));
    tick(T0 + 4 * W);
    assertEquals(List.of(clicked(i)), out());
    assertEquals(2, metrics.get(IngestTopology.REPEAT_CLICKS));
  }

  @Test
  void duplicatesAreDroppedWithinTheRetentionOnly() {
    Impression i = imp("e1", "u1", "i9", T0, "r1", 1, 0.2);
    Click c = click("e2", "u1", "i9", T0 + 1000, "r1");
    send(i);
    send(i);
    send(c);
    send(c);
    send(i);
    tick(T0 + W + 1);
    assertEquals(List.of(clicked(i)), out());
    assertEquals(3, metrics.get(IngestTopology.DUPLICATE));
    assertEquals(List.of(), dead());
    // e1 was first seen at stream time T0: remembered until stream time passes T0 + 1 h
    send(i);
    assertEquals(List.of(), out());
    assertEquals(4, metrics.get(IngestTopology.DUPLICATE));
    tick(T0 + HOUR);
    send(i);
    assertEquals(5, metrics.get(IngestTopology.DUPLICATE));
    tick(T0 + HOUR + 1);
    send(i);
    assertEquals(List.of(unclicked(i)), out(), "forgotten after the retention: a late, unclicked impression");
    assertEquals(5, metrics.get(IngestTopology.DUPLICATE));
  }

  @Test
  void undecodableBytesGoToTheDeadLetterTopicWithTheReason() {
    byte[] junk = "{\"type\":\"click\"}".getBytes(StandardCharsets.UTF_8);
    events.pipeInput("u1", junk);
    byte[] truncated = Codecs.EVENT.encode(Event.newBuilder().setPayload(click("e2", "u1", "i9", T0, null)).build());
    truncated = java.util.Arrays.copyOf(truncated, truncated.length - 3);
    events.pipeInput("u1", truncated);
    events.pipeInput("u1", (byte[]) null);
    List<DeadLetter> d = dead();
    assertEquals(3, d.size());
    for (DeadLetter x : d) {
      assertEquals("streams", x.getComponent());
      assertTrue(x.getReason().startsWith("undecodable event: "), x.getReason());
      assertEquals(T0 + 24 * HOUR, x.getTimestamp());
    }
    assertTrue(d.get(0).getReason().contains("not a Event record"), d.get(0).getReason());
    assertArrayEquals(junk, bytes(d.get(0)));
    assertArrayEquals(truncated, bytes(d.get(1)));
    assertEquals("undecodable event: null value", d.get(2).getReason());
    assertEquals(3, metrics.get(IngestTopology.UNDECODABLE));
    // the app keeps going
    Impression i = imp("e1", "u1", "i9", T0, "r1", 1, 0.2);
    send(i);
    send(click("e3", "u1", "i9", T0 + 1, "r1"));
    assertEquals(List.of(clicked(i)), out());
  }

  @Test
  void invalidAvroEventsGoToTheDeadLetterTopicAndDoNotMoveStreamTime() {
    Impression good = imp("e1", "u1", "i9", T0, "r1", 1, 0.2);
    send(good);
    send(imp("e5", "u1", "i9", T0, "r1", 1, 2.0));
    send(imp("e6", "u1", "i9", T0, "r1", 0, 0.5));
    send(imp("e7", "", "i9", T0, "r1", 1, 0.5));
    send(imp("e8", "u1", "i9", T0, "r1", 1, Double.NaN));
    sendArrived(click("e9", "u1", "i9", T0 + 3 * 24 * HOUR, null), T0); // three days ahead of its arrival
    List<String> reasons = dead().stream().map(DeadLetter::getReason).toList();
    assertEquals(List.of("invalid event: propensity 2.0 is not in (0, 1]", "invalid event: position 0 must be >= 1",
        "invalid event: field 'user' is empty", "invalid event: propensity NaN is not in (0, 1]",
        "invalid event: timestamp 1764559200000 (2025-12-01T03:20:00Z) is 72 h ahead of its arrival at"
            + " 2025-11-28T03:20:00Z (at most 5 min allowed)"), reasons);
    assertEquals(List.of(), out(), "the far-future click did not expire the pending impression");
    assertEquals(2, metrics.get(IngestTopology.INVALID, "bad_propensity"));
    assertEquals(1, metrics.get(IngestTopology.INVALID, "bad_timestamp"));
    send(click("e2", "u1", "i9", T0 + 1, "r1"));
    assertEquals(List.of(clicked(good)), out());
  }

  @Test
  void oneEventFarAheadCannotExpireWhatIsHeld() {
    // an impression held since T0; an event 50 minutes ahead of its arrival (a client's clock is off)
    Impression held = imp("e1", "u1", "i9", T0, null, 1, 0.2);
    sendArrived(held, T0);
    sendArrived(click("bad", "u1", "i3", T0 + 1000 + 50 * 60_000L, null), T0 + 1000);
    assertEquals(1, dead().size());
    assertEquals(1, metrics.get(IngestTopology.INVALID, "bad_timestamp"));
    // an impression and its click posted together a second later join, and so does the held one
    Impression next = imp("e3", "u1", "i7", T0 + 2000, "r2", 1, 0.5);
    sendArrived(next, T0 + 2000);
    sendArrived(click("e4", "u1", "i7", T0 + 2100, "r2"), T0 + 2100);
    sendArrived(click("e2", "u1", "i9", T0 + 3000, null), T0 + 3000);
    assertEquals(List.of(clicked(next), clicked(held)), out());
  }

  @Test
  void theLeadIsBoundedSoOneEventMovesStreamTimeAtMostFiveMinutes() {
    Impression held = imp("e1", "u1", "i9", T0, null, 1, 0.2);
    sendArrived(held, T0);
    long lead = io.relstream.schemas.EventTime.MAX_LEAD.toMillis();
    sendArrived(imp("ahead", "u1", "i3", T0 + lead, null, 1, 0.2), T0); // exactly at the limit: accepted
    assertEquals(List.of(), dead());
    assertEquals(List.of(), out(), "five minutes of stream time expire nothing held within the 30-minute window");
    sendArrived(click("e2", "u1", "i9", T0 + 1000, null), T0 + 1000);
    assertEquals(List.of(clicked(held)), out());
  }

  @Test
  void afterAQuietPeriodAnEventStampedNowIsJoinedAtOnce() {
    Impression old = imp("e0", "u1", "i1", T0, null, 1, 0.2);
    sendArrived(old, T0);
    long later = T0 + 2 * HOUR; // nothing arrived for two hours
    Impression now = imp("e1", "u1", "i9", later, "r1", 1, 0.2);
    sendArrived(now, later);
    sendArrived(click("e2", "u1", "i9", later + 500, "r1"), later + 500);
    assertEquals(List.of(unclicked(old), clicked(now)), out());
    assertEquals(List.of(), dead());
  }

  @Test
  void eventsWithoutAStampedArrivalLeadTheirRecordTimestamp() {
    long lead = io.relstream.schemas.EventTime.MAX_LEAD.toMillis();
    events.pipeInput("u1", Codecs.EVENT.encode(Event.newBuilder()
        .setPayload(imp("e1", "u1", "i9", T0 + lead, null, 1, 0.2)).build()), T0);
    events.pipeInput("u1", Codecs.EVENT.encode(Event.newBuilder()
        .setPayload(imp("e2", "u1", "i8", T0 + lead + 1, null, 1, 0.2)).build()), T0);
    List<DeadLetter> d = dead();
    assertEquals(1, d.size());
    assertTrue(d.get(0).getReason().contains("ahead of its arrival at 2025-11-28T03:20:00Z"), d.get(0).getReason());
    // a producer cannot forge the record time the extractor hands on
    events.pipeInput(new org.apache.kafka.streams.test.TestRecord<>("u1", Codecs.EVENT.encode(Event.newBuilder()
        .setPayload(imp("e3", "u1", "i7", T0 + HOUR, null, 1, 0.2)).build()),
        new org.apache.kafka.common.header.internals.RecordHeaders().add(EventTimeExtractor.RECORD_TIME_HEADER,
            java.nio.ByteBuffer.allocate(8).putLong(T0 + HOUR).array()), java.time.Instant.ofEpochMilli(T0)));
    assertEquals(1, dead().size());
  }

  @Test
  void aJoinKeyHoldsAtMostAThousandEvents() {
    for (int n = 0; n < IngestTopology.MAX_HELD_PER_KEY; n++) {
      send(imp("e" + n, "u1", "i9", T0 + n, null, 1, 0.2));
    }
    assertEquals(List.of(), dead());
    send(imp("one-more", "u1", "i9", T0 + 5000, null, 1, 0.2));
    List<DeadLetter> d = dead();
    assertEquals(1, d.size());
    assertEquals("event refused: 1000 impressions of this user and item are already held within the join window",
        d.get(0).getReason());
    assertEquals(1, metrics.get(IngestTopology.INVALID, "too_many_held"));
    // other keys and the held ones are unaffected
    send(click("c1", "u1", "i9", T0 + 6000, null));
    assertEquals(1, out().size());
  }

  @Test
  void anEventTheBrokerWouldRefuseIsDeadLetteredBeforeItTouchesAStore() {
    long now = System.currentTimeMillis();
    Clock wall = Clock.fixed(Instant.ofEpochMilli(now), ZoneOffset.UTC);
    start(new WriteGuard(60_000L, 7 * 24 * HOUR, WriteGuard.DEFAULT_MAX_RECORD_BYTES, wall));
    Impression held = imp("e1", "u1", "i9", now - 1000, null, 1, 0.2);
    sendArrived(held, now - 1000);
    // a producer's forged arrival time makes the lead rule pass; the broker's window (60 s) would not
    sendArrived(click("forged", "u1", "i3", now + 10 * 60_000L, null), now + 10 * 60_000L);
    // and a replayed event older than the topic's before.max.ms (7 days)
    sendArrived(click("ancient", "u1", "i4", now - 30 * 24 * HOUR, null), now - 30 * 24 * HOUR);
    List<DeadLetter> d = dead();
    assertEquals(2, d.size());
    assertTrue(d.get(0).getReason().startsWith("event refused before writing: timestamp ") && d.get(0).getReason()
        .contains("beyond the broker's window of 60000 ms ahead"), d.get(0).getReason());
    assertTrue(d.get(1).getReason().contains("beyond the broker's window of 604800000 ms behind"), d.get(1).getReason());
    assertEquals(2, metrics.get(IngestTopology.INVALID, "broker_window"));
    sendArrived(click("e2", "u1", "i9", now - 500, null), now - 500);
    assertEquals(List.of(clicked(held)), out(), "the refused events neither expired nor joined anything");
  }

  @Test
  void aDeadLetterTooLargeForTheBrokerCarriesAPrefixAndSaysWhereTheRecordIs() {
    start(new WriteGuard(WriteGuard.DEFAULT_MAX_LEAD_MS, Long.MAX_VALUE, 8192, Clock.systemUTC()));
    byte[] junk = new byte[20_000];
    java.util.Arrays.fill(junk, (byte) 'x');
    events.pipeInput("u1", junk);
    List<org.apache.kafka.streams.test.TestRecord<String, byte[]>> recs = deadLetters.readRecordsToList();
    assertEquals(1, recs.size());
    byte[] value = recs.get(0).value();
    assertTrue(value.length + "component".length() + WriteGuard.FRAMING_BYTES <= 8192, "fits: " + value.length);
    DeadLetter d = Codecs.DEAD_LETTER.decode(value);
    assertTrue(d.getReason().contains("(payload cut from 20000 bytes to fit the broker's record limit; the whole"
        + " record is on events-0 at offset 0)"), d.getReason());
    byte[] kept = bytes(d);
    assertTrue(kept.length > 6000, "most of the room is payload: " + kept.length);
    assertArrayEquals(java.util.Arrays.copyOf(junk, kept.length), kept);
    assertEquals(1, metrics.get(IngestTopology.TRUNCATED));
  }

  @Test
  void lateEventsAreResolvedOnArrival() {
    tick(T0 + 2 * W);
    Impression late = imp("e1", "u1", "i9", T0, null, 2, 0.4);
    send(late);
    assertEquals(List.of(unclicked(late)), out());
    Click lateClick = click("e2", "u1", "i8", T0, null);
    send(lateClick);
    assertEquals(List.of(clickOnly(lateClick)), out());
  }

  /** An erasure as the collector writes it: arrival = requestedAt = the record's timestamp. */
  private byte[] sendErasure(String user, String requestId, long requestedAt) {
    byte[] value = Codecs.EVENT.encode(Event.newBuilder().setPayload(Erasure.newBuilder().setUser(user)
        .setRequestId(requestId).setRequestedAt(requestedAt).build()).setArrivalTime(requestedAt).build());
    events.pipeInput(user, value, requestedAt);
    return value;
  }

  static Interaction marker(String user, String requestId, long requestedAt) {
    return Interaction.newBuilder().setEventId(requestId).setUser(user).setItem("").setTimestamp(requestedAt)
        .setLabel(0).setSource(InteractionSource.ERASE_USER).setRequestId(null).setPosition(null).setPropensity(null)
        .build();
  }

  @Test
  void anErasureDropsTheUsersHeldEventsForGoodWhileAnotherUsersStayAndEmitsOneMarker() {
    Impression a = imp("e1", "u1", "i9", T0, "r1", 1, 0.2);             // held
    Click early = click("e2", "u1", "i8", T0 + 1000, null);               // held, before its impression
    Impression c = imp("e3", "u1", "i7", T0, null, 2, 0.3);              // clicked by e5 before the erasure
    Impression other = imp("e4", "u2", "i9", T0, "r1", 1, 0.2);         // same request and item, another user
    send(a);
    send(early);
    send(c);
    send(click("e5", "u1", "i7", T0 + 2000, null));
    send(other);
    assertEquals(List.of(clicked(c)), out());
    org.apache.kafka.streams.state.KeyValueStore<String, byte[]> pending =
        driver.getKeyValueStore(IngestTopology.PENDING_STORE);
    assertTrue(pending.get("e1") != null && pending.get("e2") != null, "held before the erasure");

    sendErasure("u1", "req-1", T0 + 3000);
    assertEquals(List.of(marker("u1", "req-1", T0 + 3000)), out(), "one marker, keyed by the user");
    assertEquals(null, pending.get("e1"), "gone from the store, not merely hidden");
    assertEquals(null, pending.get("e2"));
    assertEquals(null, pending.get("e3"), "the clicked impression held for repeat clicks too");
    assertTrue(pending.get("e4") != null, "u2's impression stays held");

    // u1's click that would have joined e1 by request: it finds nothing of u1 now (e4 is u2's)
    Click after = click("e6", "u1", "i9", T0 + 4000, "r1");
    send(after);
    assertEquals(List.of(), out());
    tick(T0 + 4000 + W + 1);
    // in deadline order e1 (T0 + W), e4 (T0 + W), e2 (T0 + 1000 + W), e6: the erased ones never come out
    assertEquals(List.of(unclicked(other), clickOnly(after)), out());
    tick(T0 + 10 * W);
    assertEquals(List.of(), out());
    assertEquals(1, metrics.get(IngestTopology.ERASURES));
    assertEquals(2, metrics.get(IngestTopology.ERASED_HELD), "e1 and e2; e3 had been emitted");
    assertEquals(1, metrics.get(IngestTopology.EMITTED_PREFIX + "erase_user"));
    assertTrue(metrics.prometheus().contains("relstream_ingest_streams_interactions_erase_user_total 1\n"));
  }

  @Test
  void anErasureDoesNotMoveStreamTimeAndOneOfABadUserIdIsDeadLettered() {
    Impression i = imp("e1", "u2", "i9", T0, null, null, null);
    send(i);
    // requested long after e1's deadline: were it stream time, e1 would be resolved now
    sendErasure("u1", "req-1", T0 + 2 * W);
    assertEquals(List.of(marker("u1", "req-1", T0 + 2 * W)), out());
    byte[] bad = sendErasure("", "req-2", T0 + 2 * W);
    assertEquals(List.of(), out(), "no marker for a bad erasure");
    List<DeadLetter> d = dead();
    assertEquals(1, d.size());
    assertEquals("invalid event: field 'user' is empty", d.get(0).getReason());
    assertArrayEquals(bad, bytes(d.get(0)));
    assertEquals(1, metrics.get(IngestTopology.INVALID, "bad_id"));
    tick(T0 + W);
    assertEquals(List.of(), out(), "stream time is T0 + W, not T0 + 2W");
    tick(T0 + W + 1);
    assertEquals(List.of(unclicked(i)), out());
  }

  @Test
  void deadLetterPayloadKeepsTheRawBytes() {
    byte[] raw = Codecs.EVENT.encode(Event.newBuilder().setPayload(imp("e5", "u1", "i9", T0, null, 1, 0.0)).build());
    events.pipeInput("u1", raw);
    assertArrayEquals(raw, bytes(dead().get(0)));
  }

  @Test
  void metricsAreExportedInPrometheusFormat() {
    send(imp("e1", "u1", "i9", T0, null, 1, 0.2));
    send(imp("e1", "u1", "i9", T0, null, 1, 0.2));
    events.pipeInput("u1", new byte[] {1, 2, 3});
    String text = metrics.prometheus();
    assertTrue(text.contains("# TYPE relstream_ingest_streams_events_duplicate_total counter\n"
        + "relstream_ingest_streams_events_duplicate_total 1\n"), text);
    assertTrue(text.contains("relstream_ingest_streams_events_undecodable_total 1\n"), text);
    assertTrue(text.contains("relstream_ingest_streams_events_valid_total 1\n"), text);
  }

  private static byte[] bytes(DeadLetter d) {
    java.nio.ByteBuffer b = d.getPayload().duplicate();
    byte[] a = new byte[b.remaining()];
    b.get(a);
    return a;
  }
}
