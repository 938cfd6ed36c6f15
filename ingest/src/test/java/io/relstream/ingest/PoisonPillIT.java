package io.relstream.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.relstream.schemas.Codecs;
import io.relstream.schemas.Topics;
import io.relstream.schemas.avro.Click;
import io.relstream.schemas.avro.DeadLetter;
import io.relstream.schemas.avro.Event;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.InteractionSource;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile event times against the real app under exactly-once, on a real KRaft broker with Kafka's default
 * timestamp window (1 h ahead of the broker's clock). Records the broker would refuse are injected straight
 * into the events topic, past the collector: written as they are, they would abort the app's transaction
 * and stop it for good (it re-reads the same record after a restart). The app must stay RUNNING, dead-letter
 * them with the reason, and go on joining what comes next.
 */
class PoisonPillIT extends BrokerTest {
  private static final ObjectMapper M = new ObjectMapper();
  @Test
  @Timeout(300)
  void recordsTheBrokerWouldRefuseAreDeadLetteredAndTheAppStaysRunning(@TempDir Path stateDir) throws Exception {
    String bootstrap = cluster.bootstrapServers();
    IngestMain.Config c = new IngestMain.Config(bootstrap, stateDir, 0, "127.0.0.1", "poison-it-" + UUID.randomUUID(),
        60_000L, 3_600_000L, 1, (short) 1, Collector.DEFAULT_MAX_BODY_BYTES);
    try (IngestMain.App app = IngestMain.start(c, Clock.systemUTC());
        KafkaProducer<String, byte[]> raw = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 2 << 20, ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
            StringSerializer.class, ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
      String base = "http://127.0.0.1:" + app.address.getPort();
      HttpClient http = HttpClient.newHttpClient();
      IngestScenario.awaitRunning(app);
      long now = System.currentTimeMillis();

      // The broker really refuses a record 3 h ahead of its clock (what a changelog write of the forged
      // event below would be).
      ExecutionException refused = assertThrows(ExecutionException.class, () -> raw.send(new ProducerRecord<>(
          "probe", null, now + 3 * 3_600_000L, "k", new byte[] {1})).get());
      assertInstanceOf(InvalidTimestampException.class, refused.getCause(), String.valueOf(refused.getCause()));

      // 1. a forged arrival time: the lead rule passes (0 ahead of "arrival"), the broker's window does not
      Event forged = Event.newBuilder().setPayload(Click.newBuilder().setEventId("forged").setUser("u1")
          .setItem("i3").setTimestamp(now + 3 * 3_600_000L).build()).setArrivalTime(now + 3 * 3_600_000L).build();
      raw.send(new ProducerRecord<>(Topics.EVENTS, "u1", Codecs.EVENT.encode(forged))).get();
      // 2. undecodable bytes just under the topic's record limit: their dead letter would be too large
      byte[] junk = new byte[1_048_000];
      Arrays.fill(junk, (byte) 'j');
      raw.send(new ProducerRecord<>(Topics.EVENTS, "u1", junk)).get();

      // 3. over HTTP: an event 50 min ahead (rejected at the door), then an impression and its click
      String ahead = "{\"type\":\"click\",\"eventId\":\"ahead\",\"user\":\"u1\",\"item\":\"i4\",\"timestamp\":"
          + (now + 50 * 60_000L) + "}";
      String imp = "{\"type\":\"impression\",\"eventId\":\"e1\",\"user\":\"u1\",\"item\":\"i9\",\"timestamp\":"
          + now + ",\"requestId\":\"r1\",\"position\":1,\"propensity\":0.5}";
      String click = "{\"type\":\"click\",\"eventId\":\"e2\",\"user\":\"u1\",\"item\":\"i9\",\"timestamp\":"
          + (now + 1000) + ",\"requestId\":\"r1\"}";
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/events"))
          .POST(HttpRequest.BodyPublishers.ofString(ahead + "\n" + imp + "\n" + click + "\n")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(202, r.statusCode(), r.body());
      assertEquals(2, M.readTree(r.body()).get("accepted").asInt(), r.body());
      assertTrue(M.readTree(r.body()).get("errors").get(0).get("reason").asText()
          .contains("min ahead of its arrival"), r.body());

      // the pair joins (the app did not stop at the injected records)
      List<Interaction> got = new ArrayList<>();
      IngestScenario.consume(bootstrap, Topics.INTERACTIONS, rec -> {
        got.add(Codecs.INTERACTION.decode(rec.value()));
        return got.stream().anyMatch(i -> i.getEventId().equals("e1"));
      });
      Interaction joined = got.stream().filter(i -> i.getEventId().equals("e1")).findFirst()
          .orElseThrow(() -> new AssertionError("the impression was not joined: " + got));
      assertEquals(InteractionSource.CLICKED_IMPRESSION, joined.getSource());

      List<DeadLetter> dead = new ArrayList<>();
      IngestScenario.consume(bootstrap, Topics.DEAD_LETTER, rec -> {
        dead.add(Codecs.DEAD_LETTER.decode(rec.value()));
        return dead.stream().filter(d -> d.getComponent().equals(IngestTopology.COMPONENT)).count() >= 2;
      });
      List<String> reasons = dead.stream().filter(d -> d.getComponent().equals(IngestTopology.COMPONENT))
          .map(DeadLetter::getReason).toList();
      assertEquals(2, reasons.size(), reasons.toString());
      assertTrue(reasons.get(0).startsWith("event refused before writing: timestamp ")
          && reasons.get(0).contains("beyond the broker's window of 3600000 ms ahead"), reasons.get(0));
      assertTrue(reasons.get(1).startsWith("undecodable event: ") && reasons.get(1).contains(
          "(payload cut from 1048000 bytes to fit the broker's record limit; the whole record is on events-0 at"
              + " offset 1)"), reasons.get(1));
      assertTrue(dead.stream().anyMatch(d -> d.getComponent().equals(Collector.COMPONENT)
          && d.getReason().contains("min ahead of its arrival")), "the collector dead-lettered the early event too");

      // and it keeps running
      for (int n = 0; n < 10; n++) {
        assertEquals(KafkaStreams.State.RUNNING, app.streams.state());
        Thread.sleep(200);
      }
      assertTrue(app.metrics.prometheus().contains(
          "relstream_ingest_streams_events_invalid_total{reason=\"broker_window\"} 1"), app.metrics.prometheus());
    }
  }
}
