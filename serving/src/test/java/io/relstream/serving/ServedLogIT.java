package io.relstream.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.relstream.core.propensity.EpsilonSlots;
import io.relstream.core.topk.DebiasedPopularity;
import io.relstream.schemas.Codecs;
import io.relstream.schemas.Topics;
import io.relstream.schemas.avro.Event;
import io.relstream.schemas.avro.Impression;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The served log against a real KRaft broker: with {@code --log-served --explore epsilon:0.5}, every answer
 * carries a requestId and each of its slots arrives on the events topic as an Impression (keyed by the
 * user; requestId, 1-based position, the item shown there, and as propensity the answer's exact inclusion
 * probability), for model answers and fallback answers alike; slots are explored, and the counts on
 * /metrics agree.
 */
class ServedLogIT {
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final double EPSILON = 0.5;

  @TempDir
  Path dir;

  @Test
  void everyAnswerIsLoggedWithItsExactInclusionProbabilities() throws Exception {
    int items = 30;
    int k = 5;
    try (Broker broker = Broker.start();
        KafkaProducer<String, byte[]> trainer = broker.transactional("served-log-it")) {
      ServingConfig config = new ServingConfig(broker.bootstrap(), 0, dir, DebiasedPopularity.DEFAULT_CLIP, "127.0.0.1",
          null, 0, true, new EpsilonSlots(EPSILON));
      Map<String, List<JsonNode>> answers = new HashMap<>();
      try (Serving serving = Serving.start(config)) {
        int port = serving.port();
        trainer.beginTransaction();
        for (int i = 0; i < items; i++) {
          trainer.send(Broker.item("i" + i, new float[] {i, 1}, 0.5, i + 1, 1));
        }
        trainer.send(Broker.user("u1", new float[] {1, 0}, 1));
        trainer.commitTransaction();
        Broker.await("rows applied", WAIT, () -> Http.metric(port, "relstream_serving_applied_records") == items + 1);
        for (int r = 0; r < 20; r++) {
          for (String user : List.of("u1", "nobody")) {
            JsonNode a = Http.json(port, "/recommend/" + user + "?k=" + k);
            assertNotNull(a.get("requestId"), a.toString());
            answers.computeIfAbsent(a.get("requestId").asText(), x -> new ArrayList<>()).add(a);
          }
        }
        assertEquals(40, answers.size(), "a new requestId per answer");
        Broker.await("impressions published", WAIT,
            () -> Http.metric(port, "relstream_serving_served_published_total") == 40L * k);
        assertEquals(0, Http.metric(port, "relstream_serving_served_dropped_total"));
      }

      Map<String, Map<Integer, Impression>> logged = new HashMap<>();
      Properties p = new Properties();
      p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap());
      p.put(ConsumerConfig.GROUP_ID_CONFIG, "served-log-it");
      p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
          new ByteArrayDeserializer())) {
        c.subscribe(List.of(Topics.EVENTS));
        long deadline = System.nanoTime() + WAIT.toNanos();
        int n = 0;
        while (n < 40 * k && System.nanoTime() < deadline) {
          for (ConsumerRecord<byte[], byte[]> rec : c.poll(Duration.ofMillis(500))) {
            Event e = Codecs.EVENT.decode(rec.value());
            Impression imp = (Impression) e.getPayload();
            assertEquals(imp.getUser(), new String(rec.key(), StandardCharsets.UTF_8), "keyed by the user");
            assertEquals(imp.getTimestamp(), e.getArrivalTime());
            assertEquals(imp.getRequestId() + "/" + imp.getPosition(), imp.getEventId(), "a unique event id");
            logged.computeIfAbsent(imp.getRequestId(), x -> new HashMap<>()).put(imp.getPosition(), imp);
            n++;
          }
        }
        assertEquals(40 * k, n, "one impression per shown slot");
      }

      double greedy = 1 - EPSILON;
      double other = k * EPSILON / (items - k);
      int explored = 0;
      for (Map.Entry<String, List<JsonNode>> e : answers.entrySet()) {
        JsonNode a = e.getValue().get(0);
        Map<Integer, Impression> imps = logged.get(e.getKey());
        assertNotNull(imps, "answer " + e.getKey() + " logged");
        JsonNode shown = a.get("items");
        assertEquals(k, shown.size());
        assertEquals(k, imps.size());
        for (int pos = 1; pos <= k; pos++) {
          JsonNode slot = shown.get(pos - 1);
          Impression imp = imps.get(pos);
          assertEquals(a.get("user").asText(), imp.getUser());
          assertEquals(slot.get("item").asText(), imp.getItem(), "position " + pos + " logs the item shown there");
          double inclusion = slot.get("inclusion").asDouble();
          assertEquals(inclusion, imp.getPropensity(), 0.0, "the log carries the answer's inclusion probability");
          assertTrue(Math.abs(inclusion - greedy) < 1e-12 || Math.abs(inclusion - other) < 1e-12,
              "inclusion " + inclusion + " is one of the closed forms");
          if (Math.abs(inclusion - other) < 1e-12) {
            explored++;
          }
        }
      }
      // 200 slots each explored with probability 1/2: none explored would be a broken policy
      assertTrue(explored > 50 && explored < 150, explored + " of 200 slots explored");
      assertFalse(logged.containsKey(null));
    }
  }
}
