package io.relstream.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.relstream.core.topk.DebiasedPopularity;
import io.relstream.schemas.Codecs;
import io.relstream.schemas.Topics;
import io.relstream.schemas.avro.EntityKind;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.InteractionSource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Erasure in serving against a real KRaft broker: a {@code user:ID} tombstone on model-updates removes the
 * user (row and clicks: answers become the plain fallback), an {@code item:ID} tombstone removes the item,
 * an ERASE_USER interaction deletes a user's clicks, another tombstone is skipped; a restart on the same
 * store does not bring anything back, and a later row of the user does.
 */
class ServingErasureIT {
  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir
  Path dir;

  private Serving start(Broker broker) throws Exception {
    return Serving.start(new ServingConfig(broker.bootstrap(), 0, dir, DebiasedPopularity.DEFAULT_CLIP));
  }

  private static ProducerRecord<String, byte[]> tombstone(EntityKind kind, String id) {
    return new ProducerRecord<>(Topics.MODEL_UPDATES, Codecs.modelUpdateKey(kind, id), null);
  }

  private static ProducerRecord<String, byte[]> eraseMarker(String user) {
    Interaction in = Interaction.newBuilder().setEventId("req-" + user).setUser(user).setItem("")
        .setTimestamp(1764300000000L).setLabel(0).setSource(InteractionSource.ERASE_USER).setRequestId(null)
        .setPosition(null).setPropensity(null).build();
    return new ProducerRecord<>(Topics.INTERACTIONS, user, Codecs.INTERACTION.encode(in));
  }

  @Test
  void tombstonesEraseUsersAndItemsForGoodAndTheMarkerErasesClicks() throws Exception {
    try (Broker broker = Broker.start();
        KafkaProducer<String, byte[]> trainer = broker.transactional("erasure-it");
        KafkaProducer<String, byte[]> plain = broker.plain()) {
      try (Serving serving = start(broker)) {
        int port = serving.port();
        trainer.beginTransaction();
        trainer.send(Broker.item("i1", new float[] {1, 0}, 0.9, 90, 1));
        trainer.send(Broker.item("i2", new float[] {0, 1}, 0.5, 40, 1));
        trainer.send(Broker.item("i3", new float[] {1, 1}, 0.02, 4, 1));
        trainer.send(Broker.user("u1", new float[] {2, 1}, 1));
        trainer.send(Broker.user("u2", new float[] {1, 0}, 1));
        trainer.commitTransaction();
        plain.send(Broker.interaction("u1", "i3", 1));
        plain.send(Broker.interaction("u2", "i1", 1));
        plain.flush();
        Broker.await("rows and clicks applied", WAIT, () -> Http.metric(port, "relstream_serving_applied_records") == 7);
        // (2, 1): i1 = 2, i2 = 1; i3 clicked
        assertEquals(List.of("i1", "i2"), Http.items(Http.json(port, "/recommend/u1")));
        assertEquals(List.of("i3", "i2"), Http.items(Http.json(port, "/recommend/u2")), "(1, 0) without i1");

        trainer.beginTransaction();
        trainer.send(tombstone(EntityKind.USER, "u1"));
        trainer.send(tombstone(EntityKind.ITEM, "i2"));
        trainer.send(new ProducerRecord<>(Topics.MODEL_UPDATES, "something:else", null));
        trainer.commitTransaction();
        plain.send(eraseMarker("u2"));
        plain.flush();
        Broker.await("the erasures applied", WAIT, () -> Http.metric(port, "relstream_serving_users_erased_total") == 1
            && Http.metric(port, "relstream_serving_items_erased_total") == 1
            && Http.metric(port, "relstream_serving_click_histories_erased_total") == 1
            && Http.metric(port, "relstream_serving_consumer_lag") == 0);
        assertErased(port);
        String metrics = Http.get(port, "/metrics").body();
        assertTrue(metrics.contains(
            "relstream_serving_skipped_records_total{topic=\"model-updates\",reason=\"tombstone\"} 1\n"), metrics);
      }

      // a restart on the same store: nothing comes back, nothing is applied twice
      try (Serving serving = start(broker)) {
        int port = serving.port();
        Broker.await("ready after the restart", WAIT, () -> Http.get(port, "/ready").statusCode() == 200);
        assertErased(port);
        assertEquals(0, Http.metric(port, "relstream_serving_users_erased_total"), "the tombstone is behind the stored offset");

        // a later row of the user's key brings the user back (the topic's order rules, as for any row)
        trainer.beginTransaction();
        trainer.send(Broker.user("u1", new float[] {0, 1}, 2));
        trainer.commitTransaction();
        Broker.await("u1 back", WAIT, () -> !Http.json(port, "/recommend/u1").get("fallback").asBoolean());
        // (0, 1): i3 = 1, i1 = 0; nothing excluded: u1's old click went with the erasure
        assertEquals(List.of("i3", "i1"), Http.items(Http.json(port, "/recommend/u1")));
      }
    }
  }

  private static void assertErased(int port) throws Exception {
    JsonNode u1 = Http.json(port, "/recommend/u1");
    assertTrue(u1.get("fallback").asBoolean(), u1.toString());
    // popularity i3 4/0.02 = 200, i1 90/0.9 = 100; i3 (u1's click) no longer excluded, i2 gone
    assertEquals(List.of("i3", "i1"), Http.items(u1));
    assertEquals(Http.items(Http.json(port, "/recommend/nobody")), Http.items(u1), "as a user nobody knows");
    JsonNode u2 = Http.json(port, "/recommend/u2");
    assertFalse(u2.get("fallback").asBoolean(), "u2's row stays: only its clicks were erased");
    // (1, 0): i1 = 1 (its click erased), i3 = 1, by id
    assertEquals(List.of("i1", "i3"), Http.items(u2));
    assertEquals(404, Http.get(port, "/similar/i2").statusCode());
    assertEquals(2, Http.metric(port, "relstream_serving_items"));
  }
}
