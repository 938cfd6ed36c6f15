package io.relstream.streamreplay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.relstream.schemas.Codecs;
import io.relstream.schemas.avro.Click;
import io.relstream.schemas.avro.Event;
import io.relstream.schemas.avro.Impression;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --from-topic}: an events topic on a real KRaft broker (two partitions, keyed by user, as the
 * collector writes it), a transaction that aborts, junk and a time window; the replay reads committed
 * records only, joins each partition, and reports what it skipped.
 */
@Timeout(300)
class TopicReplayIT {
  static final long T = 1_764_300_000_000L;

  @Test
  void readsTheCommittedEventsOfAWindowJoinsAndTrains(@TempDir Path dir) throws Exception {
    try (KafkaClusterTestKit kafka = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder().setCombined(true)
        .setNumBrokerNodes(1).setNumControllerNodes(1).build())
        .setConfigProp("transaction.state.log.replication.factor", "1")
        .setConfigProp("transaction.state.log.min.isr", "1")
        .setConfigProp("offsets.topic.replication.factor", "1").build()) {
      kafka.format();
      kafka.startup();
      kafka.waitForReadyBrokers();
      String bootstrap = kafka.bootstrapServers();
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
        admin.createTopics(List.of(new NewTopic("events", 2, (short) 1))).all().get();
      }
      List<String> test = new ArrayList<>();
      Map<String, Object> props = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
          ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
          ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
          ProducerConfig.TRANSACTIONAL_ID_CONFIG, "topic-replay-it");
      int pairs = 0;
      try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(props)) {
        p.initTransactions();
        p.beginTransaction();
        for (int u = 0; u < 40; u++) {
          for (int i = 0; i < 15; i++) {
            long ts = T + (u * 15L + i) * 60_000L;
            String user = "u" + u;
            String item = "i" + ((u + i) % 20);
            String req = "r" + u + "-" + i;
            send(p, user, ts, Impression.newBuilder().setEventId("imp-" + req).setUser(user).setItem(item)
                .setTimestamp(ts).setRequestId(req).setPosition(1).setPropensity(0.3).build());
            if ((u + i) % 3 == 0) {
              send(p, user, ts + 1000, Click.newBuilder().setEventId("clk-" + req).setUser(user).setItem(item)
                  .setTimestamp(ts + 1000).setRequestId(req).build());
            }
            pairs++;
          }
          test.add("u" + u + "\ti" + (u % 20) + "\t1");
          test.add("u" + u + "\ti" + ((u + 7) % 20) + "\t0");
        }
        p.send(new ProducerRecord<>("events", "u0", "junk".getBytes()));
        p.commitTransaction();
        // an aborted transaction: read committed never sees it
        p.beginTransaction();
        send(p, "u1", T, Impression.newBuilder().setEventId("aborted").setUser("u1").setItem("i1").setTimestamp(T)
            .setRequestId(null).setPosition(null).setPropensity(null).build());
        p.flush();
        p.abortTransaction();
      }
      Path testFile = dir.resolve("test.tsv");
      Files.write(testFile, test);
      Path out = dir.resolve("report");
      StreamReplayMainIT.Run run = StreamReplayMainIT.run("--streaming", "--from-topic", "events", "--bootstrap",
          bootstrap, "--test", testFile.toString(), "--models", "relmf", "--seeds", "1", "--out", out.toString());
      assertEquals(0, run.code(), run.err());
      JsonNode report = new ObjectMapper().readTree(out.resolve("report.json").toFile());
      JsonNode s = report.get("streaming");
      assertEquals("topic", s.get("source").asText());
      assertEquals(pairs, s.get("interactions").asInt(), "one interaction per committed impression");
      assertEquals("{\"undecodable\":1}", report.get("rejected").toString());
      assertTrue(run.err().contains("events-"), "the first rejections name topic-partition@offset: " + run.err());
      assertEquals(s.get("interactionsTrained").asInt(),
          report.get("models").get("relmf").get("config").get("eventsTrained").asInt());

      // a window: the first half of the traffic only
      Path half = dir.resolve("half");
      run = StreamReplayMainIT.run("--streaming", "--from-topic", "events", "--bootstrap", bootstrap,
          "--to-time", Long.toString(T + 300L * 60_000L - 1), "--test", testFile.toString(), "--models", "relmf",
          "--seeds", "1", "--out", half.toString());
      assertEquals(0, run.code(), run.err());
      JsonNode h = new ObjectMapper().readTree(half.resolve("report.json").toFile()).get("streaming");
      assertTrue(h.get("interactions").asInt() < pairs && h.get("interactions").asInt() > pairs / 3,
          "--to-time bounds the read: " + h.get("interactions"));
    }
  }

  private static void send(KafkaProducer<String, byte[]> p, String user, long ts, Object payload) {
    Event e = Event.newBuilder().setPayload(payload).setArrivalTime(ts).build();
    p.send(new ProducerRecord<>("events", null, ts, user, Codecs.EVENT.encode(e)));
  }
}
