package io.relstream.streamreplay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.core.data.DataFormatException;
import io.relstream.core.data.Ratings;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.InteractionSource;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventLogTest {
  static final long T = 1_764_300_000_000L;
  static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

  static String imp(String id, String user, String item, long ts, String req, double propensity) {
    return "{\"type\":\"impression\",\"eventId\":\"" + id + "\",\"user\":\"" + user + "\",\"item\":\"" + item
        + "\",\"timestamp\":" + ts + ",\"requestId\":\"" + req + "\",\"position\":1,\"propensity\":" + propensity + "}";
  }

  static String click(String id, String user, String item, long ts, String req) {
    return "{\"type\":\"click\",\"eventId\":\"" + id + "\",\"user\":\"" + user + "\",\"item\":\"" + item
        + "\",\"timestamp\":" + ts + ",\"requestId\":\"" + req + "\"}";
  }

  @Test
  void validatesJoinsAndCountsWhatItSkips(@TempDir Path dir) throws Exception {
    Path events = dir.resolve("log.ndjson");
    Files.write(events, List.of(
        imp("i1", "alice", "x", T, "r1", 0.2),
        click("c1", "alice", "x", T + 1000, "r1"),       // joins i1
        imp("i2", "alice", "y", T + 2000, "r1", 0.4),    // never clicked
        click("c2", "bob", "z", T + 3000, null).replace("\"requestId\":\"null\"", "\"requestId\":null"),
        imp("i1", "alice", "x", T, "r1", 0.2),           // duplicate
        "{not json",
        imp("i3", "bob", "x", T + 4000, "r2", 1.5),      // propensity above 1
        "",
        "{\"type\":\"click\",\"eventId\":\"c3\",\"user\":\"bob\",\"item\":\"x\",\"timestamp\":" + T + ",\"colour\":1}"));
    Path test = dir.resolve("test.tsv");
    Files.write(test, List.of("alice\tx\t1", "bob\tz\t0", "carol\tx\t1"));
    EventLog log = EventLog.read(events, test, QUIET);
    assertEquals(9, log.lines());
    assertEquals(4, log.accepted());
    assertEquals(1, log.duplicates());
    assertEquals(Map.of("not_json", 1L, "bad_propensity", 1L, "unknown_field", 1L), log.rejected());
    assertEquals(3, log.firstRejections().size());
    assertTrue(log.firstRejections().get(0).startsWith("log.ndjson:6: not JSON"), log.firstRejections().toString());
    assertTrue(log.firstRejections().get(1).startsWith("log.ndjson:7: "), log.firstRejections().toString());

    List<Interaction> in = log.interactions();
    assertEquals(3, in.size(), in.toString());
    assertEquals(List.of(InteractionSource.CLICKED_IMPRESSION, InteractionSource.UNCLICKED_IMPRESSION,
        InteractionSource.CLICK_WITHOUT_IMPRESSION), in.stream().map(Interaction::getSource).toList(), "time order");
    assertEquals(0.2, in.get(0).getPropensity(), 1e-12, "the logged propensity travels with the interaction");

    // indices: log first (alice, bob; x, y, z), then the test set's new ids (carol)
    assertEquals(List.of("alice", "bob", "carol"), List.of(log.userIds()));
    assertEquals(List.of("x", "y", "z"), List.of(log.itemIds()));
    Ratings train = log.dataset().train();
    assertEquals(3, train.size());
    assertTrue(train.relevant(0) && !train.relevant(1) && train.relevant(2));
    Ratings t = log.dataset().test();
    assertTrue(t.relevant(0) && !t.relevant(1) && t.relevant(2), "0/1 labels");
    assertEquals(2, t.users()[2]);
  }

  static byte[] avro(Object payload, long arrival) {
    return io.relstream.schemas.Codecs.EVENT.encode(io.relstream.schemas.avro.Event.newBuilder().setPayload(payload)
        .setArrivalTime(arrival).build());
  }

  static io.relstream.schemas.avro.Impression avroImp(String id, String user, String item, long ts) {
    return io.relstream.schemas.avro.Impression.newBuilder().setEventId(id).setUser(user).setItem(item).setTimestamp(ts)
        .setRequestId(null).setPosition(1).setPropensity(0.5).build();
  }

  @Test
  void anErasureOnTheTopicRemovesTheUsersInteractionsSoFar(@TempDir Path dir) throws Exception {
    EventLog.Collector c = new EventLog.Collector();
    long w = io.relstream.events.Joiner.DEFAULT_WINDOW.toMillis();
    c.record(0, "events-0@0", avro(avroImp("i1", "alice", "x", T), T), T);
    c.record(0, "events-0@1", avro(io.relstream.schemas.avro.Click.newBuilder().setEventId("c1").setUser("alice")
        .setItem("x").setTimestamp(T + 10).setRequestId(null).build(), T + 10), T + 10); // joins i1: emitted
    c.record(0, "events-0@2", avro(avroImp("i2", "alice", "y", T + 20), T + 20), T + 20);  // held
    c.record(0, "events-0@3", avro(avroImp("b1", "bob", "x", T + 30), T + 30), T + 30);
    c.record(0, "events-0@4", avro(io.relstream.schemas.avro.Erasure.newBuilder().setUser("alice")
        .setRequestId("req-1").setRequestedAt(T + 40).build(), T + 40), T + 40);
    c.record(0, "events-0@5", avro(avroImp("i3", "alice", "z", T + w), T + w), T + w); // alice again, afresh
    Path test = dir.resolve("test.tsv");
    Files.write(test, List.of("bob	x	1"));
    EventLog log = c.build("topic 'events'", "records", "events:topic-events", test);
    assertEquals(List.of("b1", "i3"), log.interactions().stream().map(Interaction::getEventId).toList(),
        "i1 (emitted before the erasure) is removed, i2 (held) never came, the marker is no interaction");
    assertEquals(List.of("bob", "alice"), List.of(log.userIds()));
    assertEquals(List.of("x", "z"), List.of(log.itemIds()), "no empty item from the marker");
    assertEquals(6, log.accepted());
  }

  @Test
  void aTestFileOfRatingsAndItsErrors(@TempDir Path dir) throws Exception {
    Path events = dir.resolve("e.ndjson");
    Files.write(events, List.of(imp("i1", "u", "x", T, "r", 0.5)));
    Path ratings = dir.resolve("r.tsv");
    Files.write(ratings, List.of("u\tx\t5", "u\ty\t2"));
    Ratings t = EventLog.read(events, ratings, QUIET).dataset().test();
    assertTrue(t.relevant(0) && !t.relevant(1));

    Files.write(ratings, List.of("u\tx\t5", "u\ty"));
    assertEquals("r.tsv:2: expected user TAB item TAB value, got 'u\ty'",
        assertThrows(DataFormatException.class, () -> EventLog.read(events, ratings, QUIET)).getMessage());
    Files.write(ratings, List.of("u\tx\t5", "u\ty\t0"));
    assertTrue(assertThrows(DataFormatException.class, () -> EventLog.read(events, ratings, QUIET)).getMessage()
        .startsWith("r.tsv:2: value 0 in a file of ratings"));
    Files.write(ratings, List.of("u\tx\tfive"));
    assertTrue(assertThrows(DataFormatException.class, () -> EventLog.read(events, ratings, QUIET)).getMessage()
        .contains("is not an integer"));
    assertTrue(assertThrows(DataFormatException.class,
        () -> EventLog.read(dir.resolve("missing.ndjson"), ratings, QUIET)).getMessage().contains("cannot read"));
    Files.write(events, List.of("{}", "[1]"));
    assertTrue(assertThrows(DataFormatException.class, () -> EventLog.read(events, ratings, QUIET)).getMessage()
        .contains("no valid event in 2 lines"));
  }
}
