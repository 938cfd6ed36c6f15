package io.relstream.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.events.Joiner;
import io.relstream.events.LogJoin;
import io.relstream.events.RandomEventLog;
import io.relstream.schemas.Codecs;
import io.relstream.schemas.Topics;
import io.relstream.schemas.avro.Click;
import io.relstream.schemas.avro.Event;
import io.relstream.schemas.avro.Impression;
import io.relstream.schemas.avro.Interaction;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One log, two engines: the ingest app on a real KRaft broker (exactly-once, RocksDB stores, its expiry
 * punctuation every 100 ms of stream time) and {@link LogJoin}, the in-memory replay of the same rules,
 * expiring after every event. The log exercises every join rule near its boundaries (late, early,
 * repeated and orphan clicks, duplicates, stragglers); both must decide the same set of interactions.
 */
class SharedJoinIT extends BrokerTest {
  static final long W = 60_000L;
  @Test
  @Timeout(300)
  void theAppAndTheReplayDecideTheSameInteractions(@TempDir Path stateDir) throws Exception {
    long now = System.currentTimeMillis();
    List<Event> log = new ArrayList<>(RandomEventLog.generate(42, 3000, now - 3 * 3_600_000L, W, now));
    // last, an event 4 min ahead (within the lead rule) that moves stream time past every deadline above
    log.add(Event.newBuilder().setPayload(Impression.newBuilder().setEventId("sentinel").setUser("s").setItem("s")
        .setTimestamp(now + 240_000L).setRequestId(null).setPosition(null).setPropensity(null).build())
        .setArrivalTime(now).build());

    List<String> replayed = new ArrayList<>();
    LogJoin replay = new LogJoin(new Joiner.Settings(W, 3_600_000L, Joiner.MAX_HELD_PER_KEY),
        i -> replayed.add(describe(i)));
    for (Event e : log) {
      replay.offer(e, now);
    }
    assertTrue(replay.duplicates() > 0 && replay.rejected().isEmpty(), "the log: " + replay.rejected());

    String bootstrap = cluster.bootstrapServers();
    IngestMain.Config c = new IngestMain.Config(bootstrap, stateDir, 0, "127.0.0.1", "shared-join-" + UUID.randomUUID(),
        W, 3_600_000L, 1, (short) 1, Collector.DEFAULT_MAX_BODY_BYTES);
    List<String> live = Collections.synchronizedList(new ArrayList<>());
    try (IngestMain.App app = IngestMain.start(c, Clock.systemUTC());
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all",
            ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
            ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
      IngestScenario.awaitRunning(app);
      for (Event e : log) {
        String user = e.getPayload() instanceof Impression i ? i.getUser() : ((Click) e.getPayload()).getUser();
        producer.send(new ProducerRecord<>(Topics.EVENTS, user, Codecs.EVENT.encode(e)));
      }
      producer.flush();
      IngestScenario.consume(bootstrap, Topics.INTERACTIONS, rec -> {
        live.add(describe(Codecs.INTERACTION.decode(rec.value())));
        return live.size() >= replayed.size();
      });
    }
    Collections.sort(replayed);
    List<String> got = new ArrayList<>(live);
    Collections.sort(got);
    assertEquals(replayed.size(), got.size(), "as many interactions live as replayed");
    assertEquals(replayed, got);
    System.out.printf("SharedJoinIT: %d events (%d duplicates) -> %d interactions, the same live and replayed%n",
        log.size(), replay.duplicates(), got.size());
  }

  private static String describe(Interaction i) {
    return i.getEventId() + " " + i.getUser() + " " + i.getItem() + " " + i.getTimestamp() + " " + i.getLabel() + " "
        + i.getSource() + " " + i.getRequestId() + " " + i.getPosition() + " " + i.getPropensity();
  }
}
