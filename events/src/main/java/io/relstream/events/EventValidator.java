package io.relstream.events;

import com.fasterxml.jackson.databind.JsonNode;
import io.relstream.schemas.Codecs;
import io.relstream.schemas.EventTime;
import io.relstream.schemas.avro.Click;
import io.relstream.schemas.avro.Erasure;
import io.relstream.schemas.avro.Event;
import io.relstream.schemas.avro.Impression;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Checks one event, either a JSON object from the HTTP collector or an Avro {@link Event} from any
 * producer of the events topic, and says precisely why it is rejected.
 *
 * <p>Rules (the same for both paths where they apply):
 * <ul>
 *   <li>{@code type} is the string {@code impression} or {@code click};</li>
 *   <li>no fields other than those of the type (a click has no {@code position}/{@code propensity});</li>
 *   <li>{@code eventId}, {@code user}, {@code item} are required non-empty strings of at most
 *       {@link Codecs#MAX_ID_BYTES} UTF-8 bytes; {@code requestId} is optional (absent or null) with the
 *       same rules when present;</li>
 *   <li>{@code timestamp} is a required integer of epoch milliseconds that passes {@link EventTime#check}
 *       against the event's arrival time: not before 2000-01-01T00:00:00Z and at most
 *       {@link EventTime#MAX_LEAD} ahead of arrival. At the collector, arrival is the injected clock's now
 *       (and is stamped into the event as {@code arrivalTime}); in the streams app it is the stamped
 *       arrival time, else the Kafka record's timestamp;</li>
 *   <li>{@code position} (impression, optional) is an integer {@code >= 1};</li>
 *   <li>{@code propensity} (impression, optional) is a number in (0, 1] (0, values above 1 and NaN are
 *       rejected).</li>
 * </ul>
 * An {@link Erasure} (the collector's {@code DELETE /users/{id}}, never a JSON event) is valid when its
 * {@code user} and {@code requestId} follow the id rules and its {@code requestedAt} passes
 * {@link EventTime#check} against the arrival time like an event timestamp ({@link #erasure} builds one).
 * Checks run in that order and the first failure is reported. Thread-safe (stateless apart from the clock).
 */
public final class EventValidator {

  public static final Set<String> IMPRESSION_FIELDS =
      Set.of("type", "eventId", "user", "item", "timestamp", "requestId", "position", "propensity");
  public static final Set<String> CLICK_FIELDS = Set.of("type", "eventId", "user", "item", "timestamp", "requestId");

  /** Class of a rejection; {@link #label()} is the metrics label. */
  public enum Rejection {
    NOT_AN_OBJECT, MISSING_FIELD, WRONG_TYPE, UNKNOWN_TYPE, UNKNOWN_FIELD, BAD_ID, BAD_TIMESTAMP,
    BAD_POSITION, BAD_PROPENSITY;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** The outcome of a check: exactly one of {@code event} and {@code reason} is non-null. */
  public record Result(Event event, Rejection rejection, String reason) {
    public static Result valid(Event e) {
      return new Result(Objects.requireNonNull(e), null, null);
    }

    public static Result invalid(Rejection r, String reason) {
      return new Result(null, Objects.requireNonNull(r), Objects.requireNonNull(reason));
    }

    public boolean isValid() {
      return event != null;
    }
  }

  /** Thrown internally to stop at the first failed rule. */
  private static final class Reject extends Exception {
    private static final long serialVersionUID = 1L;
    final Rejection rejection;

    Reject(Rejection rejection, String message) {
      super(message, null, false, false);
      this.rejection = rejection;
    }
  }

  private final Clock clock;

  /** @param clock the collector's clock: an event's arrival time */
  public EventValidator(Clock clock) {
    this.clock = Objects.requireNonNull(clock);
  }

  /**
   * Validates one JSON value from the collector and converts it to an Avro {@link Event} stamped with its
   * arrival time (the clock's now).
   */
  public Result validate(JsonNode node) {
    try {
      long arrival = clock.millis();
      Event e = parse(node, arrival);
      e.setArrivalTime(arrival);
      return Result.valid(e);
    } catch (Reject r) {
      return Result.invalid(r.rejection, r.getMessage());
    }
  }

  /**
   * An erasure of {@code user} for the collector's {@code DELETE /users/{id}}: the user id follows the rules
   * of event user ids (reasons name it "user id"); {@code requestedAt} and the arrival time are the clock's
   * now.
   *
   * @param requestId the id the collector generated for the request
   */
  public Result erasure(String user, String requestId) {
    try {
      checkId("user id", user);
      checkId("requestId", requestId);
      long now = clock.millis();
      return Result.valid(Event.newBuilder().setPayload(Erasure.newBuilder().setUser(user).setRequestId(requestId)
          .setRequestedAt(now).build()).setArrivalTime(now).build());
    } catch (Reject r) {
      return Result.invalid(r.rejection, r.getMessage());
    }
  }

  /**
   * Validates one JSON value of a logged event (the collector's format, read back from a file) with the
   * collector's rules. A log line carries no arrival time, so the event's own timestamp stands in for it:
   * the lead rule cannot be checked, the lower bound and every other rule are.
   */
  public static Result validateLogged(JsonNode node) {
    JsonNode ts = node == null ? null : node.get("timestamp");
    long arrival = ts != null && ts.isIntegralNumber() && ts.canConvertToLong() ? ts.longValue() : 0L;
    try {
      Event e = parse(node, arrival);
      e.setArrivalTime(arrival);
      return Result.valid(e);
    } catch (Reject r) {
      return Result.invalid(r.rejection, r.getMessage());
    }
  }

  /**
   * Re-validates an Avro event (ids, timestamp, position, propensity) written by any producer.
   *
   * @param recordTimestamp the Kafka record's timestamp: the arrival time of an event without a stamped one
   * @return empty when valid, else the rejection
   */
  public static Optional<Result> check(Event event, long recordTimestamp) {
    try {
      Object p = event == null ? null : event.getPayload();
      long arrival = event == null ? recordTimestamp : EventTime.arrival(event.getArrivalTime(), recordTimestamp);
      if (p instanceof Impression i) {
        checkIds(i.getEventId(), i.getUser(), i.getItem(), i.getRequestId());
        checkTimestamp(i.getTimestamp(), arrival);
        if (i.getPosition() != null) {
          checkPosition(i.getPosition());
        }
        if (i.getPropensity() != null) {
          checkPropensity(i.getPropensity());
        }
      } else if (p instanceof Click c) {
        checkIds(c.getEventId(), c.getUser(), c.getItem(), c.getRequestId());
        checkTimestamp(c.getTimestamp(), arrival);
      } else if (p instanceof Erasure x) {
        checkField("user", x.getUser());
        checkField("requestId", x.getRequestId());
        checkTimestamp(x.getRequestedAt(), arrival);
      } else {
        throw new Reject(Rejection.UNKNOWN_TYPE, "event payload is neither an Impression, a Click nor an Erasure");
      }
      return Optional.empty();
    } catch (Reject r) {
      return Optional.of(Result.invalid(r.rejection, r.getMessage()));
    }
  }

  private static Event parse(JsonNode node, long arrival) throws Reject {
    if (node == null || !node.isObject()) {
      throw new Reject(Rejection.NOT_AN_OBJECT,
          "event is not a JSON object (got " + kind(node) + ")");
    }
    JsonNode typeNode = node.get("type");
    if (typeNode == null || typeNode.isNull()) {
      throw new Reject(Rejection.MISSING_FIELD, "missing field 'type'");
    }
    if (!typeNode.isTextual()) {
      throw new Reject(Rejection.WRONG_TYPE, "field 'type' must be a string, got " + kind(typeNode));
    }
    String type = typeNode.textValue();
    boolean impression;
    if (type.equals("impression")) {
      impression = true;
    } else if (type.equals("click")) {
      impression = false;
    } else {
      throw new Reject(Rejection.UNKNOWN_TYPE,
          "unknown type '" + abbreviate(type) + "' (expected 'impression' or 'click')");
    }
    Set<String> allowed = impression ? IMPRESSION_FIELDS : CLICK_FIELDS;
    List<String> unknown = new ArrayList<>();
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!allowed.contains(f)) {
        unknown.add("'" + abbreviate(f) + "'");
      }
    }
    if (!unknown.isEmpty()) {
      throw new Reject(Rejection.UNKNOWN_FIELD, (unknown.size() == 1 ? "unknown field " : "unknown fields ")
          + String.join(", ", unknown) + " for " + type);
    }
    String eventId = requiredId(node, "eventId");
    String user = requiredId(node, "user");
    String item = requiredId(node, "item");
    long timestamp = requiredTimestamp(node, arrival);
    String requestId = optionalId(node, "requestId");
    if (!impression) {
      return Event.newBuilder().setPayload(Click.newBuilder().setEventId(eventId).setUser(user).setItem(item)
          .setTimestamp(timestamp).setRequestId(requestId).build()).build();
    }
    Integer position = null;
    JsonNode pos = node.get("position");
    if (pos != null && !pos.isNull()) {
      if (!pos.isIntegralNumber()) {
        throw new Reject(Rejection.WRONG_TYPE, "field 'position' must be an integer, got " + kind(pos));
      }
      if (!pos.canConvertToInt()) {
        throw new Reject(Rejection.BAD_POSITION, "position " + pos.asText() + " is out of range");
      }
      position = pos.intValue();
      checkPosition(position);
    }
    Double propensity = null;
    JsonNode prop = node.get("propensity");
    if (prop != null && !prop.isNull()) {
      if (!prop.isNumber()) {
        throw new Reject(Rejection.WRONG_TYPE, "field 'propensity' must be a number, got " + kind(prop));
      }
      propensity = prop.doubleValue();
      checkPropensity(propensity);
    }
    return Event.newBuilder().setPayload(Impression.newBuilder().setEventId(eventId).setUser(user).setItem(item)
        .setTimestamp(timestamp).setRequestId(requestId).setPosition(position).setPropensity(propensity).build())
        .build();
  }

  private static String requiredId(JsonNode node, String field) throws Reject {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      throw new Reject(Rejection.MISSING_FIELD, "missing field '" + field + "'");
    }
    return idValue(v, field);
  }

  private static String optionalId(JsonNode node, String field) throws Reject {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? null : idValue(v, field);
  }

  private static String idValue(JsonNode v, String field) throws Reject {
    if (!v.isTextual()) {
      throw new Reject(Rejection.WRONG_TYPE, "field '" + field + "' must be a string, got " + kind(v));
    }
    String s = v.textValue();
    checkField(field, s);
    return s;
  }

  private static long requiredTimestamp(JsonNode node, long arrival) throws Reject {
    JsonNode v = node.get("timestamp");
    if (v == null || v.isNull()) {
      throw new Reject(Rejection.MISSING_FIELD, "missing field 'timestamp'");
    }
    if (!v.isIntegralNumber()) {
      throw new Reject(Rejection.WRONG_TYPE,
          "field 'timestamp' must be an integer (epoch milliseconds), got " + kind(v));
    }
    if (!v.canConvertToLong()) {
      throw new Reject(Rejection.BAD_TIMESTAMP, "timestamp " + abbreviate(v.asText()) + " is out of range");
    }
    long ts = v.longValue();
    checkTimestamp(ts, arrival);
    return ts;
  }

  private static void checkIds(String eventId, String user, String item, String requestId) throws Reject {
    checkField("eventId", eventId);
    checkField("user", user);
    checkField("item", item);
    if (requestId != null) {
      checkField("requestId", requestId);
    }
  }

  private static void checkField(String field, String s) throws Reject {
    if (s == null) {
      throw new Reject(Rejection.MISSING_FIELD, "missing field '" + field + "'");
    }
    checkId("field '" + field + "'", s);
  }

  /** The id rules; {@code what} names the id in the reason. */
  private static void checkId(String what, String s) throws Reject {
    if (s == null) {
      throw new Reject(Rejection.MISSING_FIELD, what + " is missing");
    }
    if (s.isEmpty()) {
      throw new Reject(Rejection.BAD_ID, what + " is empty");
    }
    int bytes = s.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > Codecs.MAX_ID_BYTES) {
      throw new Reject(Rejection.BAD_ID, what + " is " + bytes + " UTF-8 bytes (max " + Codecs.MAX_ID_BYTES + ")");
    }
  }

  private static void checkTimestamp(long ts, long arrival) throws Reject {
    String bad = EventTime.check(ts, arrival);
    if (bad != null) {
      throw new Reject(Rejection.BAD_TIMESTAMP, bad);
    }
  }

  private static void checkPosition(int position) throws Reject {
    if (position < 1) {
      throw new Reject(Rejection.BAD_POSITION, "position " + position + " must be >= 1");
    }
  }

  private static void checkPropensity(double p) throws Reject {
    if (!(p > 0.0 && p <= 1.0)) {
      throw new Reject(Rejection.BAD_PROPENSITY, "propensity " + p + " is not in (0, 1]");
    }
  }

  private static String kind(JsonNode n) {
    return n == null ? "nothing" : n.getNodeType().name().toLowerCase(Locale.ROOT);
  }

  /** Keeps reasons short when a client sends huge field names or values. */
  private static String abbreviate(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "...";
  }
}
