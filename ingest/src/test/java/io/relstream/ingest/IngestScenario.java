package io.relstream.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.relstream.schemas.Codecs;
import io.relstream.schemas.Topics;
import io.relstream.schemas.avro.DeadLetter;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.InteractionSource;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The end-to-end ingest scenario, run against any broker (in-process KRaft in {@link IngestIT}, a container in
 * {@link IngestContainersIT}): the real IngestMain wiring (topic creation, streams app, collector over loopback
 * HTTP), good and malformed input, and assertions on the HTTP answers and on both output topics.
 */
final class IngestScenario {
  static final Duration DEADLINE = Duration.ofSeconds(120);
  static final long W = 60_000L;
  static final int LIMIT = Collector.DEFAULT_MAX_BODY_BYTES;
  private static final ObjectMapper M = new ObjectMapper();

  private final String bootstrap;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private String base;

  IngestScenario(String bootstrap) {
    this.bootstrap = bootstrap;
  }

  static String imp(String id, String user, String item, long ts, String req, int pos, double prop) {
    return String.format(java.util.Locale.ROOT, "{\"type\":\"impression\",\"eventId\":\"%s\",\"user\":\"%s\","
        + "\"item\":\"%s\",\"timestamp\":%d%s,\"position\":%d,\"propensity\":%s}", id, user, item, ts,
        req == null ? "" : ",\"requestId\":\"" + req + "\"", pos, prop);
  }

  static String click(String id, String user, String item, long ts, String req) {
    return String.format(java.util.Locale.ROOT, "{\"type\":\"click\",\"eventId\":\"%s\",\"user\":\"%s\","
        + "\"item\":\"%s\",\"timestamp\":%d%s}", id, user, item, ts,
        req == null ? "" : ",\"requestId\":\"" + req + "\"");
  }

  void run(Path stateDir) throws Exception {
    IngestMain.Config c = new IngestMain.Config(bootstrap, stateDir, 0, "127.0.0.1",
        "ingest-it-" + UUID.randomUUID(), W, 3_600_000L, 2, (short) 1, LIMIT);
    try (IngestMain.App app = IngestMain.start(c, Clock.systemUTC())) {
      base = "http://127.0.0.1:" + app.address.getPort();
      awaitHealthy();

      HttpResponse<String> r = http("GET", "/events", null);
      assertEquals(405, r.statusCode());
      assertTrue(json(r).get("error").asText().contains("use POST"), r.body());
      r = http("POST", "/nope", "[]");
      assertEquals(404, r.statusCode());
      assertEquals("no such resource: /nope", json(r).get("error").asText());

      // a body that is not JSON at all
      r = http("POST", "/events", "{\"type\": \"impression\", oops");
      assertEquals(400, r.statusCode(), r.body());
      String notJson = json(r).get("error").asText();
      assertTrue(notJson.startsWith("body is not valid JSON: "), notJson);

      // a body over the limit
      String huge = "[" + ("{\"pad\":\"" + "x".repeat(1000) + "\"},").repeat(1200) + "1]";
      r = http("POST", "/events", huge);
      assertEquals(413, r.statusCode(), r.body());
      assertEquals("body of " + huge.length() + " bytes is over the limit of " + LIMIT + " bytes",
          json(r).get("error").asText(), "refused from its Content-Length, before it is read");

      // good and malformed events in one request
      long t0 = System.currentTimeMillis() - 2 * 3_600_000L;
      List<String> events = List.of(
          imp("e1", "u1", "i1", t0, "r1", 1, 0.5),
          click("e2", "u1", "i1", t0 + 1000, "r1"),
          imp("e3", "u1", "i2", t0, "r1", 2, 0.25),
          "{\"type\":\"impression\",\"user\":\"u1\",\"item\":\"i5\",\"timestamp\":" + t0 + "}",
          imp("e7", "u1", "i6", t0, "r1", 3, 0.0),
          imp("e8", "u1", "i7", t0, "r1", 4, 2.0),
          imp("e4", "u2", "i3", t0 + 2000, null, 1, 0.1),
          imp("e9", "u2", "i3", t0, null, 1, 0.1).replace("}", ",\"color\":\"red\"}"),
          click("e10", "x".repeat(300), "i3", t0, null),
          click("e5", "u2", "i3", t0 + 30_000, null),
          click("e6", "u2", "i4", t0 + 5000, null),
          imp("e1", "u1", "i1", t0, "r1", 1, 0.5));
      r = http("POST", "/events", "[" + String.join(",\n", events) + "]");
      assertEquals(202, r.statusCode(), r.body());
      assertEquals(7, json(r).get("accepted").asInt(), r.body());
      assertEquals(5, json(r).get("rejected").asInt(), r.body());

      // undecodable bytes from another producer go through the streams app's dead-letter path
      try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
          bootstrap, ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
          ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
        p.send(new ProducerRecord<>(Topics.EVENTS, "u1", "not avro".getBytes(StandardCharsets.UTF_8))).get();
      }

      // NDJSON that moves both users' stream time past every window
      r = http("POST", "/events", imp("f1", "u1", "flush", t0 + 10 * W, null, 1, 1.0) + "\n"
          + imp("f2", "u2", "flush", t0 + 10 * W, null, 1, 1.0) + "\n");
      assertEquals(202, r.statusCode(), r.body());
      assertEquals(2, json(r).get("accepted").asInt());

      List<Interaction> got = new ArrayList<>();
      consume(Topics.INTERACTIONS, rec -> {
        Interaction i = Codecs.INTERACTION.decode(rec.value());
        assertEquals(i.getUser(), rec.key());
        if (!i.getItem().equals("flush")) {
          got.add(i);
        }
        return got.size() >= 4;
      });
      Map<String, Interaction> byId = new HashMap<>();
      got.forEach(i -> assertEquals(null, byId.put(i.getEventId(), i), "one interaction per event: " + got));
      assertEquals(4, got.size(), got.toString());
      assertInteraction(byId.get("e1"), 1, InteractionSource.CLICKED_IMPRESSION, t0, "r1", 1, 0.5);
      assertInteraction(byId.get("e3"), 0, InteractionSource.UNCLICKED_IMPRESSION, t0, "r1", 2, 0.25);
      assertInteraction(byId.get("e4"), 1, InteractionSource.CLICKED_IMPRESSION, t0 + 2000, null, 1, 0.1);
      assertInteraction(byId.get("e6"), 1, InteractionSource.CLICK_WITHOUT_IMPRESSION, t0 + 5000, null, null, null);

      List<DeadLetter> dead = new ArrayList<>();
      consume(Topics.DEAD_LETTER, rec -> {
        DeadLetter d = Codecs.DEAD_LETTER.decode(rec.value());
        assertEquals(d.getComponent(), rec.key());
        dead.add(d);
        return dead.size() >= 7;
      });
      Map<String, String> reasons = new HashMap<>();
      for (DeadLetter d : dead) {
        reasons.put(d.getReason(), d.getComponent() + ":" + new String(payload(d), StandardCharsets.UTF_8));
      }
      assertEquals(7, dead.size(), reasons.toString());
      assertEquals("collector:{\"type\": \"impression\", oops", reasons.get(notJson));
      assertEquals("collector:" + events.get(3), reasons.get("missing field 'eventId'"));
      assertEquals("collector:" + events.get(4), reasons.get("propensity 0.0 is not in (0, 1]"));
      assertEquals("collector:" + events.get(5), reasons.get("propensity 2.0 is not in (0, 1]"));
      assertEquals("collector:" + events.get(7), reasons.get("unknown field 'color' for impression"));
      assertEquals("collector:" + events.get(8), reasons.get("field 'user' is 300 UTF-8 bytes (max 256)"));
      assertTrue(reasons.keySet().stream().anyMatch(k -> k.startsWith("undecodable event: not a Event record")
          && reasons.get(k).equals("streams:not avro")), reasons.toString());

      String metrics = awaitMetric("relstream_ingest_streams_events_duplicate_total 1\n");
      assertTrue(metrics.contains("relstream_ingest_collector_events_accepted_total 9\n"), metrics);
      assertTrue(metrics.contains(
          "relstream_ingest_collector_http_rejected_total{reason=\"body_too_large\",status=\"413\"} 1\n"), metrics);
      assertTrue(metrics.contains("relstream_ingest_streams_up 1\n"), metrics);
      assertTrue(metrics.contains("relstream_ingest_streams_state{state=\"RUNNING\"} 1\n"), metrics);
      r = http("GET", "/ready", null);
      assertEquals(200, r.statusCode(), r.body());
      assertEquals("RUNNING", json(r).get("streams").asText(), r.body());
      assertEquals(0, json(r).get("restoringStores").asInt(), r.body());
      assertTrue(metrics.contains("relstream_ingest_streams_events_undecodable_total 1\n"), metrics);
    }
  }

  /**
   * Held state survives a restart: an impression posted to one app instance is joined by a click posted to a
   * second instance (same application id, empty state directory, so the stores are restored from their
   * changelogs), and a re-sent copy of the impression is still recognised as a duplicate.
   */
  void runRestart(Path firstStateDir, Path secondStateDir) throws Exception {
    String appId = "ingest-restart-" + UUID.randomUUID();
    long t0 = System.currentTimeMillis() - 3_600_000L;
    String impression = imp("r-e1", "u7", "i1", t0, "q1", 2, 0.3);
    try (IngestMain.App app = IngestMain.start(new IngestMain.Config(bootstrap, firstStateDir, 0, "127.0.0.1", appId,
        W, 3_600_000L, 2, (short) 1, LIMIT), Clock.systemUTC())) {
      base = "http://127.0.0.1:" + app.address.getPort();
      awaitHealthy();
      assertEquals(202, http("POST", "/events", "[" + impression + "]").statusCode());
      awaitMetric("relstream_ingest_streams_events_valid_total 1\n");
    }
    try (IngestMain.App app = IngestMain.start(new IngestMain.Config(bootstrap, secondStateDir, 0, "127.0.0.1",
        appId, W, 3_600_000L, 2, (short) 1, LIMIT), Clock.systemUTC())) {
      base = "http://127.0.0.1:" + app.address.getPort();
      awaitHealthy();
      HttpResponse<String> r = http("POST", "/events", impression + "\n" + click("r-e2", "u7", "i1", t0 + 500, null)
          + "\n" + imp("r-f", "u7", "flush", t0 + 10 * W, null, 1, 1.0));
      assertEquals(202, r.statusCode(), r.body());
      List<Interaction> got = new ArrayList<>();
      consume(Topics.INTERACTIONS, rec -> {
        Interaction i = Codecs.INTERACTION.decode(rec.value());
        if (i.getUser().equals("u7") && !i.getItem().equals("flush")) {
          got.add(i);
        }
        return !got.isEmpty();
      });
      assertEquals(1, got.size(), got.toString());
      assertInteraction(got.get(0), 1, InteractionSource.CLICKED_IMPRESSION, t0, "q1", 2, 0.3);
      assertEquals("r-e1", got.get(0).getEventId());
      awaitMetric("relstream_ingest_streams_events_duplicate_total 1\n");
    }
  }

  private static void assertInteraction(Interaction i, int label, InteractionSource source, long ts, String req,
      Integer pos, Double prop) {
    assertTrue(i != null, "missing interaction");
    assertEquals(label, i.getLabel(), i.toString());
    assertEquals(source, i.getSource(), i.toString());
    assertEquals(ts, i.getTimestamp(), i.toString());
    assertEquals(req, i.getRequestId(), i.toString());
    assertEquals(pos, i.getPosition(), i.toString());
    assertEquals(prop, i.getPropensity(), i.toString());
  }

  private static byte[] payload(DeadLetter d) {
    ByteBuffer b = d.getPayload().duplicate();
    byte[] a = new byte[b.remaining()];
    b.get(a);
    return a;
  }

  private void awaitHealthy() throws Exception {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    HttpResponse<String> r;
    do {
      r = http("GET", "/health", null);
      if (r.statusCode() == 200) {
        return;
      }
      Thread.sleep(200);
    } while (System.nanoTime() < deadline);
    fail("collector not healthy: " + r.body());
  }

  private String awaitMetric(String line) throws Exception {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    String body;
    do {
      HttpResponse<String> r = http("GET", "/metrics", null);
      assertEquals(200, r.statusCode());
      body = r.body();
      if (body.contains(line)) {
        return body;
      }
      Thread.sleep(200);
    } while (System.nanoTime() < deadline);
    fail("metric '" + line.trim() + "' not reached:\n" + body);
    return body;
  }

  /** Reads {@code topic} (committed records only) from the start until {@code done} says so or the deadline. */
  private void consume(String topic, Predicate<ConsumerRecord<String, byte[]>> done) {
    consume(bootstrap, topic, done);
  }

  /** As above, on any broker: committed records only, from the start, with 4 MiB fetches. */
  /** Until the app's streams are RUNNING (2 min at most). */
  static void awaitRunning(IngestMain.App app) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (app.streams.state() != org.apache.kafka.streams.KafkaStreams.State.RUNNING) {
      if (System.nanoTime() > deadline) {
        fail("streams app not running: " + app.streams.state());
      }
      Thread.sleep(100);
    }
  }

  static void consume(String bootstrap, String topic, Predicate<ConsumerRecord<String, byte[]>> done) {
    Map<String, Object> props = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID(), ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 << 20,
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props)) {
      consumer.subscribe(List.of(topic));
      boolean finished = false;
      while (!finished && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> rec : consumer.poll(Duration.ofMillis(500))) {
          finished |= done.test(rec);
        }
      }
      // a little longer: anything beyond the expected records (a double count) must show up too
      long extra = System.nanoTime() + Duration.ofSeconds(2).toNanos();
      while (finished && System.nanoTime() < extra) {
        consumer.poll(Duration.ofMillis(250)).forEach(done::test);
      }
    }
  }

  private HttpResponse<String> http(String method, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200 || !path.equals("/metrics")) {
      assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"),
          () -> path + " answered " + r.headers());
    }
    return r;
  }

  private static JsonNode json(HttpResponse<String> r) throws Exception {
    return M.readTree(r.body());
  }
}
