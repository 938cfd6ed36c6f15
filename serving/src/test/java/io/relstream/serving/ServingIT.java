package io.relstream.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.relstream.core.topk.DebiasedPopularity;
import io.relstream.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Serving in this JVM against a real KRaft broker: committed transactions are applied, an aborted one
 * is not, undecodable records are skipped without stopping the loop, and a user moves from the
 * popularity fallback to personal recommendations when their row arrives.
 */
class ServingIT {
  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir
  Path dir;

  @Test
  void appliesCommittedUpdatesOnly() throws Exception {
    try (Broker broker = Broker.start();
        Serving serving = Serving.start(new ServingConfig(broker.bootstrap(), 0, dir, DebiasedPopularity.DEFAULT_CLIP));
        KafkaProducer<String, byte[]> trainer = broker.transactional("trainer-it");
        KafkaProducer<String, byte[]> plain = broker.plain()) {
      int port = serving.port();
      assertEquals(503, Http.get(port, "/ready").statusCode());
      assertEquals(200, Http.get(port, "/health").statusCode());

      // committed: five items and user u1 (version 1)
      trainer.beginTransaction();
      trainer.send(Broker.item("i1", new float[] {1, 0}, 0.9, 90, 1));
      trainer.send(Broker.item("i2", new float[] {0, 1}, 0.5, 40, 1));
      trainer.send(Broker.item("i3", new float[] {1, 1}, 0.02, 4, 1));
      trainer.send(Broker.item("i4", new float[] {-1, 0}, 0.001, 1, 1));
      trainer.send(Broker.item("i5", new float[] {0.5f, 0.5f}, 0.1, 3, 1));
      trainer.send(Broker.user("u1", new float[] {2, 1}, 1));
      trainer.commitTransaction();
      // clicks: u1 on i3, u2 on i2; an exposure without click of u2 on i1 (not a click)
      plain.send(Broker.interaction("u1", "i3", 1));
      plain.send(Broker.interaction("u2", "i2", 1));
      plain.send(Broker.interaction("u2", "i1", 0));
      // garbage on both topics: counted and skipped, the loop goes on
      plain.send(new ProducerRecord<>(Topics.MODEL_UPDATES, "item:junk", "not avro".getBytes(StandardCharsets.UTF_8)));
      plain.send(new ProducerRecord<>(Topics.INTERACTIONS, "u9", new byte[] {(byte) 0xC3, 1, 2}));
      plain.flush();

      // aborted: a poisonous item that would top every list, and a new vector for u1 and u2
      trainer.beginTransaction();
      trainer.send(Broker.item("poison", new float[] {100, 100}, 0.0001, 1000, 2));
      trainer.send(Broker.user("u1", new float[] {-5, -5}, 2));
      trainer.send(Broker.user("u2", new float[] {1, 0}, 2));
      trainer.flush();
      trainer.abortTransaction();

      // committed after the abort: item i6 (version 3)
      trainer.beginTransaction();
      trainer.send(Broker.item("i6", new float[] {0.1f, 0.2f}, 0.3, 2, 3));
      trainer.commitTransaction();

      long expectedApplied = 6 + 2 + 1; // rows, clicks, i6
      Broker.await("all committed records applied and the lag at 0", WAIT,
          () -> Http.metric(port, "relstream_serving_applied_records") == expectedApplied
              && Http.metric(port, "relstream_serving_consumer_lag") == 0
              && Http.counterSum(port, "relstream_serving_skipped_records_total") == 2);
      assertEquals(200, Http.get(port, "/ready").statusCode());
      JsonNode ready = Http.json(port, "/ready");
      assertTrue(ready.get("caughtUp").asBoolean(), ready.toString());
      assertEquals(0, ready.get("lag").asLong());
      JsonNode health = Http.json(port, "/health");
      assertEquals("up", health.get("status").asText(), health.toString());
      assertEquals("running", health.get("consumer").get("state").asText());
      assertEquals(0, health.get("consumer").get("modelUpdatesLag").asLong());
      assertTrue(health.get("consumer").get("lastUpdateAgeMs").asLong() >= 0);
      assertTrue(health.get("disk").get("ok").asBoolean());
      assertEquals(1, Http.metric(port, "relstream_serving_consumer_up"));
      // nothing of the aborted transaction is applied, even after the consumer has passed it
      assertEquals(expectedApplied, Http.metric(port, "relstream_serving_applied_records"));
      assertEquals(3, Http.metric(port, "relstream_serving_model_version"));
      assertEquals(404, Http.get(port, "/similar/poison").statusCode());

      JsonNode u1 = Http.json(port, "/recommend/u1?k=3");
      assertFalse(u1.get("fallback").asBoolean());
      assertEquals(3, u1.get("modelVersion").asLong());
      // committed vector (2, 1): i1 = 2, i5 = 1.5, i2 = 1; i3 (3) clicked
      assertEquals(List.of("i1", "i5", "i2"), Http.items(u1));
      assertEquals(2.0, u1.get("items").get(0).get("score").asDouble(), 1e-6);
      assertEquals(0.9, u1.get("items").get(0).get("propensity").asDouble(), 1e-12);

      // u2 has clicks but no vector: debiased popularity, without its clicked i2
      // i1 90/0.9 = 100, i2 40/0.5 = 80, i3 4/0.02 = 200, i4 1/0.009136 = 109.5, i5 3/0.1 = 30, i6 2/0.3 = 6.7
      JsonNode u2 = Http.json(port, "/recommend/u2");
      assertTrue(u2.get("fallback").asBoolean());
      assertEquals(List.of("i3", "i4", "i1", "i5", "i6"), Http.items(u2));

      // u2's row arrives: personal recommendations, still without i2
      trainer.beginTransaction();
      trainer.send(Broker.user("u2", new float[] {0, -1}, 4));
      trainer.commitTransaction();
      Broker.await("u2 leaves the fallback", WAIT,
          () -> !Http.json(port, "/recommend/u2").get("fallback").asBoolean());
      JsonNode u2Personal = Http.json(port, "/recommend/u2?k=2");
      assertEquals(4, u2Personal.get("modelVersion").asLong());
      // (0, -1): i1 = 0, i4 = 0 (tie: by id), i6 = -0.2, i5 = -0.5, i3 = -1
      assertEquals(List.of("i1", "i4"), Http.items(u2Personal));
    }
  }

  /**
   * A backlog written before serving starts: /ready stays 503 (saying why) until the consumer reached
   * the end offsets it saw at start, so the first 200 already has every backlog row, not just one.
   */
  @Test
  void readyOnlyAfterCatchingUpWithTheBacklog() throws Exception {
    int rows = 3000;
    try (Broker broker = Broker.start();
        KafkaProducer<String, byte[]> trainer = broker.transactional("backlog-it")) {
      trainer.beginTransaction();
      for (int i = 0; i < rows; i++) {
        trainer.send(Broker.item("i" + i, new float[] {i, 1}, 0.5, 1, 1));
      }
      trainer.commitTransaction();
      try (Serving serving = Serving.start(new ServingConfig(broker.bootstrap(), 0, dir,
          DebiasedPopularity.DEFAULT_CLIP))) {
        int port = serving.port();
        java.net.http.HttpResponse<String> first = Http.get(port, "/ready");
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (first.statusCode() != 200 && System.nanoTime() < deadline) {
          JsonNode body = new com.fasterxml.jackson.databind.ObjectMapper().readTree(first.body());
          assertEquals(503, first.statusCode());
          assertFalse(body.get("ready").asBoolean());
          assertTrue(body.get("reason").asText().length() > 0, body.toString());
          Thread.sleep(5);
          first = Http.get(port, "/ready");
        }
        assertEquals(200, first.statusCode(), first.body());
        JsonNode ready = new com.fasterxml.jackson.databind.ObjectMapper().readTree(first.body());
        assertEquals(rows, ready.get("items").asInt(), "ready only with the whole backlog: " + ready);
        assertTrue(ready.get("caughtUp").asBoolean());
        assertEquals("caught up", ready.get("catchUp").asText());
      }
    }
  }
}
