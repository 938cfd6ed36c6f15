package io.relstream.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.relstream.schemas.Codecs;
import io.relstream.schemas.Topics;
import io.relstream.schemas.avro.Erasure;
import io.relstream.schemas.avro.Event;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.InteractionSource;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code DELETE /users/{id}} end to end on a real KRaft broker, over loopback HTTP with a bearer token: the
 * collector writes the Erasure keyed by the user (on the partition of the user's earlier events, after them),
 * answers 400 for a bad id and 401 without the token; the streams app drops the user's held impression, so it
 * never comes out, emits the ERASE_USER marker, and keeps another user's held impression.
 */
class ErasureIT extends BrokerTest {
  private static final ObjectMapper M = new ObjectMapper();
  private static final String TOKEN = "erasure-it-token";
  private final HttpClient http = HttpClient.newHttpClient();
  private String base;

  private HttpResponse<String> send(String method, String path, String body, boolean auth) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).method(method,
        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (auth) {
      b.header("Authorization", "Bearer " + TOKEN);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @Timeout(300)
  void deleteUsersWritesTheErasureInTheUsersOrderAndTheAppForgetsTheUsersHeldEvents(@TempDir Path stateDir)
      throws Exception {
    long w = IngestScenario.W;
    IngestMain.Config c = new IngestMain.Config(cluster.bootstrapServers(), stateDir, 0, "127.0.0.1",
        "erasure-it-" + UUID.randomUUID(), w, 3_600_000L, 2, (short) 1, Collector.DEFAULT_MAX_BODY_BYTES, TOKEN);
    try (IngestMain.App app = IngestMain.start(c, Clock.systemUTC())) {
      IngestScenario.awaitRunning(app);
      base = "http://127.0.0.1:" + app.address.getPort();
      long t0 = System.currentTimeMillis() - 2 * 3_600_000L;
      // held: an impression of each user
      HttpResponse<String> r = send("POST", "/events", IngestScenario.imp("e1", "u1", "i1", t0, "r1", 1, 0.5) + "\n"
          + IngestScenario.imp("e2", "u2", "i1", t0, "r1", 1, 0.5), true);
      assertEquals(202, r.statusCode(), r.body());

      assertEquals(401, send("DELETE", "/users/u1", null, false).statusCode(), "the token is required");
      r = send("DELETE", "/users/", null, true);
      assertEquals(400, r.statusCode(), r.body());
      assertEquals("user id is empty", M.readTree(r.body()).get("error").asText());
      r = send("DELETE", "/users/" + "x".repeat(300), null, true);
      assertEquals(400, r.statusCode(), r.body());
      assertEquals("user id is 300 UTF-8 bytes (max 256)", M.readTree(r.body()).get("error").asText());
      r = send("DELETE", "/users/u1/clicks", null, true);
      assertEquals(404, r.statusCode(), r.body());
      r = send("GET", "/users/u1", null, true);
      assertEquals(405, r.statusCode(), r.body());
      assertTrue(M.readTree(r.body()).get("error").asText().contains("use DELETE"), r.body());

      r = send("DELETE", "/users/u1", null, true);
      assertEquals(202, r.statusCode(), r.body());
      JsonNode answer = M.readTree(r.body());
      assertEquals("u1", answer.get("user").asText());
      assertEquals("accepted", answer.get("status").asText());
      String requestId = answer.get("requestId").asText();
      UUID.fromString(requestId);

      // later events of both users move each partition's stream time past e1's and e2's deadlines; u1's click
      // joins u1's new impression at once, so its interaction comes after anything e1 could still yield
      long now = System.currentTimeMillis();
      r = send("POST", "/events", IngestScenario.imp("e3", "u1", "i3", now, "r3", 1, 0.5) + "\n"
          + IngestScenario.click("e4", "u1", "i3", now + 1, "r3") + "\n"
          + IngestScenario.imp("e5", "u2", "i5", now, null, 1, 0.5), true);
      assertEquals(202, r.statusCode(), r.body());

      // the events topic: the erasure, keyed by u1, on e1's partition after e1
      List<ConsumerRecord<String, byte[]>> events = new ArrayList<>();
      IngestScenario.consume(cluster.bootstrapServers(), Topics.EVENTS, rec -> {
        events.add(rec);
        return events.size() >= 6; // e1, e2, the erasure, e3, e4, e5
      });
      ConsumerRecord<String, byte[]> e1 = events.stream().filter(x -> x.key().equals("u1")
          && !(Codecs.EVENT.decode(x.value()).getPayload() instanceof Erasure)).findFirst().orElseThrow();
      ConsumerRecord<String, byte[]> erasure = events.stream()
          .filter(x -> Codecs.EVENT.decode(x.value()).getPayload() instanceof Erasure).findFirst().orElseThrow();
      assertEquals(1, events.stream().filter(x -> Codecs.EVENT.decode(x.value()).getPayload() instanceof Erasure)
          .count(), "the refused requests wrote nothing");
      assertEquals("u1", erasure.key());
      assertEquals(e1.partition(), erasure.partition(), "the user's partition");
      assertTrue(erasure.offset() > e1.offset(), "after the user's earlier event");
      Event ev = Codecs.EVENT.decode(erasure.value());
      Erasure x = (Erasure) ev.getPayload();
      assertEquals("u1", x.getUser());
      assertEquals(requestId, x.getRequestId());
      assertEquals(answer.get("requestedAt").asLong(), x.getRequestedAt());
      assertEquals(x.getRequestedAt(), ev.getArrivalTime());
      assertEquals(x.getRequestedAt(), erasure.timestamp(), "the record's timestamp is the arrival time");

      // the interactions topic: the marker, then e3 clicked, never e1; u2's e2 comes out as a negative
      List<Interaction> u1 = new ArrayList<>();
      List<Interaction> u2 = new ArrayList<>();
      IngestScenario.consume(cluster.bootstrapServers(), Topics.INTERACTIONS, rec -> {
        Interaction i = Codecs.INTERACTION.decode(rec.value());
        assertEquals(i.getUser(), rec.key());
        (i.getUser().equals("u1") ? u1 : u2).add(i);
        return u1.stream().anyMatch(y -> y.getEventId().equals("e3")) && !u2.isEmpty();
      });
      assertEquals(List.of(requestId + " ERASE_USER", "e3 CLICKED_IMPRESSION"),
          u1.stream().map(i -> i.getEventId() + " " + i.getSource()).toList(), "e1 is never emitted");
      Interaction marker = u1.get(0);
      assertEquals("", marker.getItem());
      assertEquals(0, marker.getLabel());
      assertEquals(x.getRequestedAt(), marker.getTimestamp());
      assertEquals(null, marker.getRequestId());
      assertEquals(null, marker.getPosition());
      assertEquals(null, marker.getPropensity());
      assertEquals(List.of("e2"), u2.stream().map(Interaction::getEventId).toList());
      assertEquals(InteractionSource.UNCLICKED_IMPRESSION, u2.get(0).getSource());

      String metrics = send("GET", "/metrics", null, true).body();
      assertTrue(metrics.contains("relstream_ingest_collector_erasures_accepted_total 1\n"), metrics);
      assertTrue(metrics.contains("relstream_ingest_collector_erasures_rejected_total{reason=\"bad_id\"} 2\n"),
          metrics);
      assertTrue(metrics.contains("relstream_ingest_streams_erasures_total 1\n"), metrics);
      assertTrue(metrics.contains("relstream_ingest_streams_erased_held_events_total 1\n"), metrics);
    }
  }
}
