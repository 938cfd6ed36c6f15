package io.relstream.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.relstream.events.EventValidator.Rejection;
import io.relstream.events.EventValidator.Result;
import io.relstream.schemas.EventTime;
import io.relstream.schemas.avro.Click;
import io.relstream.schemas.avro.Erasure;
import io.relstream.schemas.avro.Event;
import io.relstream.schemas.avro.Impression;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EventValidatorTest {
  static final long NOW = 1_764_300_100_000L;
  private static final ObjectMapper M = new ObjectMapper();
  private final EventValidator v = new EventValidator(Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC));

  static ObjectNode impression() {
    ObjectNode n = M.createObjectNode();
    n.put("type", "impression").put("eventId", "e1").put("user", "u1").put("item", "i9")
        .put("timestamp", 1764300000000L).put("requestId", "r1").put("position", 1).put("propensity", 0.2);
    return n;
  }

  static ObjectNode click() {
    ObjectNode n = M.createObjectNode();
    n.put("type", "click").put("eventId", "e2").put("user", "u1").put("item", "i9")
        .put("timestamp", 1764300001000L).put("requestId", "r1");
    return n;
  }

  private void rejects(JsonNode n, Rejection r, String reason) {
    Result res = v.validate(n);
    assertNull(res.event(), () -> "accepted " + n);
    assertEquals(reason, res.reason());
    assertEquals(r, res.rejection());
  }

  @Test
  void parsesTheDocumentedImpression() throws Exception {
    Result r = v.validate(M.readTree("{\"type\": \"impression\", \"eventId\": \"e1\", \"user\": \"u1\", \"item\": \"i9\","
        + " \"timestamp\": 1764300000000, \"requestId\": \"r1\", \"position\": 1, \"propensity\": 0.2}"));
    assertTrue(r.isValid(), r::reason);
    Impression i = (Impression) r.event().getPayload();
    assertEquals(Impression.newBuilder().setEventId("e1").setUser("u1").setItem("i9").setTimestamp(1764300000000L)
        .setRequestId("r1").setPosition(1).setPropensity(0.2).build(), i);
  }

  @Test
  void parsesTheDocumentedClick() throws Exception {
    Result r = v.validate(M.readTree("{\"type\": \"click\", \"eventId\": \"e2\", \"user\": \"u1\", \"item\": \"i9\","
        + " \"timestamp\": 1764300001000, \"requestId\": \"r1\"}"));
    assertEquals(Click.newBuilder().setEventId("e2").setUser("u1").setItem("i9").setTimestamp(1764300001000L)
        .setRequestId("r1").build(), r.event().getPayload());
  }

  @Test
  void optionalFieldsMayBeOmittedOrNull() {
    ObjectNode imp = impression();
    imp.remove("requestId");
    imp.putNull("position");
    imp.remove("propensity");
    Impression i = (Impression) v.validate(imp).event().getPayload();
    assertNull(i.getRequestId());
    assertNull(i.getPosition());
    assertNull(i.getPropensity());
    ObjectNode c = click();
    c.putNull("requestId");
    assertNull(((Click) v.validate(c).event().getPayload()).getRequestId());
  }

  @Test
  void rejectsNonObjectsAndBadTypes() throws Exception {
    rejects(M.readTree("[1]"), Rejection.NOT_AN_OBJECT, "event is not a JSON object (got array)");
    rejects(M.readTree("\"x\""), Rejection.NOT_AN_OBJECT, "event is not a JSON object (got string)");
    ObjectNode n = impression();
    n.remove("type");
    rejects(n, Rejection.MISSING_FIELD, "missing field 'type'");
    rejects(impression().put("type", 3), Rejection.WRONG_TYPE, "field 'type' must be a string, got number");
    rejects(impression().put("type", "view"), Rejection.UNKNOWN_TYPE,
        "unknown type 'view' (expected 'impression' or 'click')");
    rejects(impression().put("type", "Impression"), Rejection.UNKNOWN_TYPE,
        "unknown type 'Impression' (expected 'impression' or 'click')");
  }

  @Test
  void rejectsUnknownFieldsNamingThem() {
    rejects(impression().put("color", "red"), Rejection.UNKNOWN_FIELD, "unknown field 'color' for impression");
    rejects(impression().put("b", 1).put("a", 2), Rejection.UNKNOWN_FIELD, "unknown fields 'b', 'a' for impression");
    rejects(click().put("position", 1), Rejection.UNKNOWN_FIELD, "unknown field 'position' for click");
    rejects(click().put("propensity", 0.5), Rejection.UNKNOWN_FIELD, "unknown field 'propensity' for click");
    ObjectNode c = click();
    c.putNull("position");
    rejects(c, Rejection.UNKNOWN_FIELD, "unknown field 'position' for click");
  }

  @Test
  void rejectsMissingEmptyOversizedAndMistypedIds() {
    for (String f : new String[] {"eventId", "user", "item"}) {
      ObjectNode n = impression();
      n.remove(f);
      rejects(n, Rejection.MISSING_FIELD, "missing field '" + f + "'");
      ObjectNode nul = click();
      nul.putNull(f);
      rejects(nul, Rejection.MISSING_FIELD, "missing field '" + f + "'");
      rejects(impression().put(f, ""), Rejection.BAD_ID, "field '" + f + "' is empty");
      rejects(impression().put(f, 7), Rejection.WRONG_TYPE, "field '" + f + "' must be a string, got number");
    }
    rejects(impression().put("user", "x".repeat(257)), Rejection.BAD_ID, "field 'user' is 257 UTF-8 bytes (max 256)");
    // 128 two-byte characters = 256 bytes: accepted; one more byte: rejected
    assertTrue(v.validate(impression().put("item", "é".repeat(128))).isValid());
    rejects(impression().put("item", "é".repeat(128) + "a"), Rejection.BAD_ID,
        "field 'item' is 257 UTF-8 bytes (max 256)");
    rejects(click().put("requestId", ""), Rejection.BAD_ID, "field 'requestId' is empty");
    rejects(click().put("requestId", "r".repeat(300)), Rejection.BAD_ID,
        "field 'requestId' is 300 UTF-8 bytes (max 256)");
    rejects(click().put("requestId", true), Rejection.WRONG_TYPE, "field 'requestId' must be a string, got boolean");
  }

  @Test
  void rejectsBadTimestamps() {
    ObjectNode n = click();
    n.remove("timestamp");
    rejects(n, Rejection.MISSING_FIELD, "missing field 'timestamp'");
    rejects(click().put("timestamp", "1764300001000"), Rejection.WRONG_TYPE,
        "field 'timestamp' must be an integer (epoch milliseconds), got string");
    rejects(click().put("timestamp", 1.5), Rejection.WRONG_TYPE,
        "field 'timestamp' must be an integer (epoch milliseconds), got number");
    rejects(click().put("timestamp", new java.math.BigInteger("99999999999999999999")), Rejection.BAD_TIMESTAMP,
        "timestamp 99999999999999999999 is out of range");
    rejects(click().put("timestamp", 946684799999L), Rejection.BAD_TIMESTAMP,
        "timestamp 946684799999 is before 2000-01-01T00:00:00Z");
    assertTrue(v.validate(click().put("timestamp", 946684800000L)).isValid());
    long limit = NOW + EventTime.MAX_LEAD.toMillis();
    Result atLimit = v.validate(click().put("timestamp", limit));
    assertTrue(atLimit.isValid());
    assertEquals(NOW, atLimit.event().getArrivalTime(), "the collector stamps its clock's now as the arrival time");
    rejects(click().put("timestamp", limit + 1), Rejection.BAD_TIMESTAMP, "timestamp " + (limit + 1)
        + " (2025-11-28T03:26:40.001Z) is 5 min ahead of its arrival at 2025-11-28T03:21:40Z (at most 5 min allowed)");
    rejects(click().put("timestamp", NOW + 50 * 60_000L), Rejection.BAD_TIMESTAMP, "timestamp " + (NOW + 3_000_000L)
        + " (2025-11-28T04:11:40Z) is 50 min ahead of its arrival at 2025-11-28T03:21:40Z (at most 5 min allowed)");
  }

  @Test
  void avroEventsLeadTheirStampedArrivalOrElseTheRecordTime() {
    Click c = Click.newBuilder().setEventId("e2").setUser("u1").setItem("i9").setTimestamp(NOW).build();
    long lead = EventTime.MAX_LEAD.toMillis();
    // stamped arrival: the record time does not matter
    Event stamped = Event.newBuilder().setPayload(c).setArrivalTime(NOW - lead).build();
    assertEquals(Optional.empty(), EventValidator.check(stamped, 0L));
    stamped.setArrivalTime(NOW - lead - 1);
    assertEquals(Rejection.BAD_TIMESTAMP, EventValidator.check(stamped, NOW).orElseThrow().rejection());
    // no stamped arrival (another producer): the Kafka record's timestamp stands in
    Event bare = ev(c);
    assertEquals(Optional.empty(), EventValidator.check(bare, NOW - lead));
    assertTrue(EventValidator.check(bare, NOW - lead - 1).orElseThrow().reason().contains("ahead of its arrival"));
    // old logs are fine however old, down to 2000-01-01
    Event old = Event.newBuilder().setPayload(Click.newBuilder(c).setTimestamp(EventTime.MIN_TIMESTAMP_MS).build())
        .setArrivalTime(NOW).build();
    assertEquals(Optional.empty(), EventValidator.check(old, NOW));
  }

  @Test
  void rejectsBadPositions() {
    rejects(impression().put("position", 0), Rejection.BAD_POSITION, "position 0 must be >= 1");
    rejects(impression().put("position", -3), Rejection.BAD_POSITION, "position -3 must be >= 1");
    rejects(impression().put("position", 1.5), Rejection.WRONG_TYPE, "field 'position' must be an integer, got number");
    rejects(impression().put("position", "1"), Rejection.WRONG_TYPE, "field 'position' must be an integer, got string");
    rejects(impression().put("position", 3_000_000_000L), Rejection.BAD_POSITION, "position 3000000000 is out of range");
  }

  @Test
  void rejectsPropensitiesOutsideZeroOne() {
    rejects(impression().put("propensity", 0), Rejection.BAD_PROPENSITY, "propensity 0.0 is not in (0, 1]");
    rejects(impression().put("propensity", 0.0), Rejection.BAD_PROPENSITY, "propensity 0.0 is not in (0, 1]");
    rejects(impression().put("propensity", 2), Rejection.BAD_PROPENSITY, "propensity 2.0 is not in (0, 1]");
    rejects(impression().put("propensity", -0.1), Rejection.BAD_PROPENSITY, "propensity -0.1 is not in (0, 1]");
    rejects(impression().put("propensity", "0.5"), Rejection.WRONG_TYPE,
        "field 'propensity' must be a number, got string");
    rejects(impression().put("propensity", "NaN"), Rejection.WRONG_TYPE,
        "field 'propensity' must be a number, got string");
    assertTrue(v.validate(impression().put("propensity", 1)).isValid());
    assertTrue(v.validate(impression().put("propensity", 1e-9)).isValid());
  }

  @Test
  void reportsTheFirstFailingRuleInOrder() {
    // type, then unknown fields, then ids, then timestamp, then position, then propensity
    rejects(impression().put("x", 1).put("user", ""), Rejection.UNKNOWN_FIELD, "unknown field 'x' for impression");
    rejects(impression().put("user", "").put("timestamp", 1), Rejection.BAD_ID, "field 'user' is empty");
    rejects(impression().put("timestamp", 1).put("position", 0), Rejection.BAD_TIMESTAMP,
        "timestamp 1 is before 2000-01-01T00:00:00Z");
    rejects(impression().put("position", 0).put("propensity", 0), Rejection.BAD_POSITION, "position 0 must be >= 1");
  }

  @Test
  void revalidatesAvroEventsFromOtherProducers() {
    Impression good = Impression.newBuilder().setEventId("e1").setUser("u1").setItem("i9")
        .setTimestamp(1764300000000L).setRequestId("r1").setPosition(1).setPropensity(0.2).build();
    assertEquals(Optional.empty(), EventValidator.check(ev(good), NOW));
    assertReason(ev(Impression.newBuilder(good).setPropensity(Double.NaN).build()), Rejection.BAD_PROPENSITY,
        "propensity NaN is not in (0, 1]");
    assertReason(ev(Impression.newBuilder(good).setPropensity(0.0).build()), Rejection.BAD_PROPENSITY,
        "propensity 0.0 is not in (0, 1]");
    assertReason(ev(Impression.newBuilder(good).setPropensity(2.0).build()), Rejection.BAD_PROPENSITY,
        "propensity 2.0 is not in (0, 1]");
    assertReason(ev(Impression.newBuilder(good).setPosition(0).build()), Rejection.BAD_POSITION,
        "position 0 must be >= 1");
    assertReason(ev(Impression.newBuilder(good).setUser("").build()), Rejection.BAD_ID, "field 'user' is empty");
    assertReason(ev(Impression.newBuilder(good).setRequestId("q".repeat(257)).build()), Rejection.BAD_ID,
        "field 'requestId' is 257 UTF-8 bytes (max 256)");
    assertReason(ev(Impression.newBuilder(good).setTimestamp(0).build()), Rejection.BAD_TIMESTAMP,
        "timestamp 0 is before 2000-01-01T00:00:00Z");
    Click c = Click.newBuilder().setEventId("e2").setUser("u1").setItem("i".repeat(300)).setTimestamp(1764300001000L)
        .build();
    assertReason(ev(c), Rejection.BAD_ID, "field 'item' is 300 UTF-8 bytes (max 256)");
    assertEquals(Optional.empty(), EventValidator.check(ev(Click.newBuilder(c).setItem("i9").build()), NOW));
  }

  @Test
  void anErasureIsBuiltForAValidUserIdAndRefusedForABadOne() {
    Result r = v.erasure("u1", "req-1");
    assertTrue(r.isValid(), r::reason);
    assertEquals(Event.newBuilder().setPayload(Erasure.newBuilder().setUser("u1").setRequestId("req-1")
        .setRequestedAt(NOW).build()).setArrivalTime(NOW).build(), r.event(), "requested and arrived now");
    assertEquals(Optional.empty(), EventValidator.check(r.event(), 0), "what the collector builds passes the check");
    Result empty = v.erasure("", "req-2");
    assertEquals(Rejection.BAD_ID, empty.rejection());
    assertEquals("user id is empty", empty.reason());
    Result longId = v.erasure("\u00e9".repeat(129), "req-3");
    assertEquals(Rejection.BAD_ID, longId.rejection());
    assertEquals("user id is 258 UTF-8 bytes (max 256)", longId.reason());
    assertTrue(v.erasure("\u00e9".repeat(128), "req-4").isValid(), "256 bytes are allowed, as for events");
  }

  @Test
  void erasuresFromOtherProducersAreRevalidated() {
    Erasure good = Erasure.newBuilder().setUser("u1").setRequestId("req-1").setRequestedAt(NOW - 1000).build();
    assertEquals(Optional.empty(), EventValidator.check(ev(good), NOW));
    assertReason(ev(Erasure.newBuilder(good).setUser("").build()), Rejection.BAD_ID, "field 'user' is empty");
    assertReason(ev(Erasure.newBuilder(good).setUser("x".repeat(300)).build()), Rejection.BAD_ID,
        "field 'user' is 300 UTF-8 bytes (max 256)");
    assertReason(ev(Erasure.newBuilder(good).setRequestId("").build()), Rejection.BAD_ID,
        "field 'requestId' is empty");
    assertReason(ev(Erasure.newBuilder(good).setRequestedAt(5).build()), Rejection.BAD_TIMESTAMP,
        "timestamp 5 is before 2000-01-01T00:00:00Z");
    Result ahead = EventValidator.check(ev(Erasure.newBuilder(good).setRequestedAt(NOW + 3_600_000L).build()), NOW)
        .orElseThrow();
    assertEquals(Rejection.BAD_TIMESTAMP, ahead.rejection(), "requestedAt leads the arrival like an event time");
  }

  private void assertReason(Event e, Rejection r, String reason) {
    Result res = EventValidator.check(e, NOW).orElseThrow(() -> new AssertionError("accepted " + e));
    assertEquals(reason, res.reason());
    assertEquals(r, res.rejection());
  }

  private static Event ev(Object payload) {
    return Event.newBuilder().setPayload(payload).build();
  }
}
