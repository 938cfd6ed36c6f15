package io.relstream.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.relstream.events.EventValidator;
import io.relstream.schemas.Codecs;
import io.relstream.schemas.Topics;
import io.relstream.schemas.avro.Click;
import io.relstream.schemas.avro.DeadLetter;
import io.relstream.schemas.avro.Erasure;
import io.relstream.schemas.avro.Event;
import io.relstream.schemas.avro.Impression;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** The collector's request handling without HTTP (the HTTP layer is exercised by IngestIT). */
class CollectorTest {
  static final long NOW = 1_764_300_100_000L;
  static final String IMP = "{\"type\": \"impression\", \"eventId\": \"e1\", \"user\": \"u1\", \"item\": \"i9\","
      + " \"timestamp\": 1764300000000, \"requestId\": \"r1\", \"position\": 1, \"propensity\": 0.2}";
  static final String CLICK = "{\"type\": \"click\", \"eventId\": \"e2\", \"user\": \"u2\", \"item\": \"i9\","
      + " \"timestamp\": 1764300001000, \"requestId\": \"r1\"}";
  static final String BAD = "{\"type\": \"click\", \"eventId\": \"e3\", \"user\": \"u1\", \"item\": \"i9\","
      + " \"timestamp\": 1764300001000, \"position\": 2}";
  private static final ObjectMapper M = new ObjectMapper();

  private final Clock clock = Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC);
  private final IngestMetrics metrics = new IngestMetrics();
  private MockProducer<String, byte[]> producer =
      new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());

  private Collector collector(int limit, Duration timeout) {
    return new Collector(producer, new EventValidator(clock), metrics, clock, limit, timeout);
  }

  private Collector.Response post(String body) {
    return collector(1 << 20, Duration.ofSeconds(5)).handleEvents(body.getBytes(StandardCharsets.UTF_8));
  }

  private List<ProducerRecord<String, byte[]>> sent(String topic) {
    return producer.history().stream().filter(r -> r.topic().equals(topic)).toList();
  }

  private static byte[] bytes(ByteBuffer b) {
    ByteBuffer d = b.duplicate();
    byte[] a = new byte[d.remaining()];
    d.get(a);
    return a;
  }

  @Test
  void arrayBodyWritesValidEventsKeyedByUserAndDeadLettersTheRest() throws Exception {
    String bad2 = "{\"type\":\"impression\",\"eventId\":\"e4\",\"user\":\"u1\",\"item\":\"i9\",\"timestamp\":1764300000000,"
        + "\"propensity\":0}";
    Collector.Response r = post("[" + IMP + ",\n " + BAD + ", " + CLICK + "," + bad2 + ", 42]");
    assertEquals(202, r.status());
    JsonNode j = M.readTree(r.json());
    assertEquals(2, j.get("accepted").asInt());
    assertEquals(3, j.get("rejected").asInt());
    assertEquals(1, j.get("errors").get(0).get("index").asInt());
    assertEquals("unknown field 'position' for click", j.get("errors").get(0).get("reason").asText());
    assertEquals("propensity 0.0 is not in (0, 1]", j.get("errors").get(1).get("reason").asText());
    assertEquals("event is not a JSON object (got number)", j.get("errors").get(2).get("reason").asText());

    List<ProducerRecord<String, byte[]>> ev = sent(Topics.EVENTS);
    assertEquals(List.of("u1", "u2"), ev.stream().map(ProducerRecord::key).toList());
    Impression i = (Impression) Codecs.EVENT.decode(ev.get(0).value()).getPayload();
    assertEquals("e1", i.getEventId());
    assertEquals(0.2, i.getPropensity());
    Event c = Codecs.EVENT.decode(ev.get(1).value());
    assertEquals("e2", ((Click) c.getPayload()).getEventId());

    List<ProducerRecord<String, byte[]>> dl = sent(Topics.DEAD_LETTER);
    assertEquals(3, dl.size());
    DeadLetter d0 = Codecs.DEAD_LETTER.decode(dl.get(0).value());
    assertEquals("collector", dl.get(0).key());
    assertEquals("collector", d0.getComponent());
    assertEquals("unknown field 'position' for click", d0.getReason());
    assertEquals(NOW, d0.getTimestamp());
    assertArrayEquals(BAD.getBytes(StandardCharsets.UTF_8), bytes(d0.getPayload()), "the event's raw bytes");
    assertEquals(bad2, new String(bytes(Codecs.DEAD_LETTER.decode(dl.get(1).value()).getPayload()),
        StandardCharsets.UTF_8));
    assertEquals("42", new String(bytes(Codecs.DEAD_LETTER.decode(dl.get(2).value()).getPayload()),
        StandardCharsets.UTF_8));

    assertEquals(2, metrics.get(Collector.ACCEPTED));
    assertEquals(1, metrics.get(Collector.REJECTED, "unknown_field"));
    assertEquals(1, metrics.get(Collector.REJECTED, "bad_propensity"));
    assertEquals(1, metrics.get(Collector.REJECTED, "not_an_object"));
    assertTrue(metrics.prometheus().contains(
        "relstream_ingest_collector_events_rejected_total{reason=\"bad_propensity\"} 1\n"), metrics.prometheus());
  }

  @Test
  void ndjsonBodyIsReadLineByLineAndABrokenLineIsRejectedAlone() throws Exception {
    Collector.Response r = post("\r\n" + IMP + "\r\n{oops\n\n  " + CLICK + "  \n");
    assertEquals(202, r.status(), r.json());
    JsonNode j = M.readTree(r.json());
    assertEquals(2, j.get("accepted").asInt());
    assertEquals(1, j.get("rejected").asInt());
    String reason = j.get("errors").get(0).get("reason").asText();
    assertTrue(reason.startsWith("line 3 is not valid JSON: "), reason);
    assertEquals(2, sent(Topics.EVENTS).size());
    DeadLetter d = Codecs.DEAD_LETTER.decode(sent(Topics.DEAD_LETTER).get(0).value());
    assertEquals(reason, d.getReason());
    assertEquals("{oops", new String(bytes(d.getPayload()), StandardCharsets.UTF_8));
    assertEquals(1, metrics.get(Collector.REJECTED, "not_json"));
  }

  @Test
  void unparseableBodiesAre400AndDeadLetteredWhole() throws Exception {
    for (String body : List.of("{oops", "[" + IMP + ", {", "[" + IMP + "] trailing", "hello\nworld", "  \n ")) {
      producer.clear();
      Collector.Response r = post(body);
      assertEquals(400, r.status(), body);
      String error = M.readTree(r.json()).get("error").asText();
      assertTrue(error.startsWith("body is not valid JSON") || error.startsWith("empty body"), error);
      assertEquals(0, sent(Topics.EVENTS).size(), "nothing of a bad body is accepted: " + body);
      DeadLetter d = Codecs.DEAD_LETTER.decode(sent(Topics.DEAD_LETTER).get(0).value());
      assertEquals(error, d.getReason());
      assertEquals(body, new String(bytes(d.getPayload()), StandardCharsets.UTF_8));
    }
    assertEquals(4, metrics.get(Collector.BODIES_REJECTED, "not_json"));
    assertEquals(1, metrics.get(Collector.BODIES_REJECTED, "empty"));
  }

  @Test
  void anErasureIsWrittenKeyedByTheUserWithAFreshRequestId() throws Exception {
    Collector c = collector(1 << 20, Duration.ofSeconds(5));
    Collector.Response r = c.handleErasure("u/1 \u00e9");
    assertEquals(202, r.status(), r.json());
    JsonNode j = M.readTree(r.json());
    assertEquals("u/1 \u00e9", j.get("user").asText());
    assertEquals("accepted", j.get("status").asText());
    assertEquals(NOW, j.get("requestedAt").asLong());
    String requestId = j.get("requestId").asText();
    assertEquals(requestId, java.util.UUID.fromString(requestId).toString(), "a UUID");
    List<ProducerRecord<String, byte[]>> ev = sent(Topics.EVENTS);
    assertEquals(1, ev.size());
    assertEquals("u/1 \u00e9", ev.get(0).key(), "keyed like the user's events");
    assertEquals(NOW, ev.get(0).timestamp(), "the record's timestamp is the arrival time");
    assertEquals(Event.newBuilder().setPayload(Erasure.newBuilder().setUser("u/1 \u00e9").setRequestId(requestId)
        .setRequestedAt(NOW).build()).setArrivalTime(NOW).build(), Codecs.EVENT.decode(ev.get(0).value()));
    assertEquals(1, metrics.get(Collector.ERASURES_ACCEPTED));
    assertTrue(!requestId.equals(M.readTree(c.handleErasure("u2").json()).get("requestId").asText()),
        "every request gets its own id");
  }

  @Test
  void anErasureOfABadUserIdIs400AndWritesNothing() throws Exception {
    Collector c = collector(1 << 20, Duration.ofSeconds(5));
    Collector.Response r = c.handleErasure("");
    assertEquals(400, r.status());
    assertEquals("user id is empty", M.readTree(r.json()).get("error").asText());
    r = c.handleErasure("x".repeat(257));
    assertEquals(400, r.status());
    assertEquals("user id is 257 UTF-8 bytes (max 256)", M.readTree(r.json()).get("error").asText());
    assertEquals(List.of(), producer.history(), "no erasure, no dead letter");
    assertEquals(2, metrics.get(Collector.ERASURES_REJECTED, "bad_id"));
    assertEquals(0, metrics.get(Collector.ERASURES_ACCEPTED));
  }

  @Test
  void anErasureKafkaDidNotAcknowledgeIs503() throws Exception {
    producer.sendException = new TimeoutException("broker down");
    Collector.Response r = collector(1 << 20, Duration.ofSeconds(5)).handleErasure("u1");
    assertEquals(503, r.status());
    assertTrue(M.readTree(r.json()).get("error").asText().contains("broker down"), r.json());
    assertEquals(0, metrics.get(Collector.ERASURES_ACCEPTED));
  }

  @Test
  void kafkaFailureIs503NeverASilentDrop() throws Exception {
    producer.sendException = new TimeoutException("broker down");
    Collector.Response r = post("[" + IMP + "]");
    assertEquals(503, r.status());
    assertTrue(M.readTree(r.json()).get("error").asText().contains("broker down"), r.json());
    assertEquals(1, metrics.get(Collector.KAFKA_FAILURES));
    assertEquals(0, metrics.get(Collector.ACCEPTED));
  }

  @Test
  void unacknowledgedSendIs503AfterTheTimeout() throws Exception {
    producer = new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer());
    Collector.Response r = collector(1 << 20, Duration.ofMillis(200))
        .handleEvents(("[" + IMP + "]").getBytes(StandardCharsets.UTF_8));
    assertEquals(503, r.status());
    assertEquals("events not stored, retry later: Kafka did not acknowledge within 200 ms",
        M.readTree(r.json()).get("error").asText());
  }

  @Test
  void answers202OnlyAfterEveryAcknowledgement() throws Exception {
    producer = new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer());
    Thread acker = new Thread(() -> {
      int acked = 0;
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (acked < 2 && System.nanoTime() < deadline) {
        if (producer.completeNext()) {
          acked++;
        } else {
          Thread.onSpinWait();
        }
      }
    });
    acker.start();
    Collector.Response r = collector(1 << 20, Duration.ofSeconds(60))
        .handleEvents(("[" + IMP + "," + BAD + "]").getBytes(StandardCharsets.UTF_8));
    acker.join();
    assertEquals(202, r.status());
    assertEquals(2, producer.history().size());
  }
}
