package io.relstream.streamtrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.schemas.Codecs;
import io.relstream.schemas.Topics;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.ModelUpdate;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * StreamTrainMain's Kafka wiring against a real in-process KRaft broker: interactions in, model updates
 * out through the exactly-once sink, read with read_committed; then a cancel and a restart that resumes
 * from the retained checkpoint and continues the versions without repeating any.
 */
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class KafkaTrainingIT {
  private static KafkaClusterTestKit kafka;

  @TempDir
  Path tmp;

  @BeforeAll
  static void startBroker() throws Exception {
    kafka = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder().setCombined(true).setNumBrokerNodes(1)
        .setNumControllerNodes(1).build())
        .setConfigProp("transaction.state.log.replication.factor", "1")
        .setConfigProp("transaction.state.log.min.isr", "1")
        .setConfigProp("offsets.topic.replication.factor", "1")
        .build();
    kafka.format();
    kafka.startup();
    kafka.waitForReadyBrokers();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(Topics.INTERACTIONS, 2, (short) 1),
          new NewTopic(Topics.MODEL_UPDATES, 1, (short) 1).configs(Map.of("cleanup.policy", "compact"))))
          .all().get(60, TimeUnit.SECONDS);
    }
  }

  @AfterAll
  static void stopBroker() throws Exception {
    if (kafka != null) {
      kafka.close();
    }
  }

  private static void produce(int from, int to) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    p.put("key.serializer", ByteArraySerializer.class.getName());
    p.put("value.serializer", ByteArraySerializer.class.getName());
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      for (int k = from; k < to; k++) {
        Interaction in = Scenario.event(k);
        producer.send(new ProducerRecord<>(Topics.INTERACTIONS, in.getUser().getBytes(StandardCharsets.UTF_8),
            Codecs.INTERACTION.encode(in)));
      }
      producer.flush();
    }
  }

  /** Reads committed model updates until one with {@code version} arrives (deadline 120 s). */
  private static List<ConsumerRecord<byte[], byte[]>> readUntil(KafkaConsumer<byte[], byte[]> c, long version,
      List<ConsumerRecord<byte[], byte[]>> into) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
        into.add(r);
      }
      if (into.stream().anyMatch(r -> r.value() != null
          && Codecs.MODEL_UPDATE.decode(r.value()).getModelVersion() >= version)) {
        return into;
      }
    }
    throw new AssertionError("no committed model update of version " + version + " within 120 s; got "
        + into.size() + " rows");
  }

  private static void produceErasure(String user, long at) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    p.put("key.serializer", ByteArraySerializer.class.getName());
    p.put("value.serializer", ByteArraySerializer.class.getName());
    Interaction erase = Interaction.newBuilder().setEventId("erase-" + user).setUser(user).setItem("")
        .setTimestamp(at).setLabel(0).setSource(io.relstream.schemas.avro.InteractionSource.ERASE_USER)
        .setRequestId(null).setPosition(null).setPropensity(null).build();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      producer.send(new ProducerRecord<>(Topics.INTERACTIONS, user.getBytes(StandardCharsets.UTF_8),
          Codecs.INTERACTION.encode(erase))).get();
    }
  }

  /**
   * An erasure (ERASE_USER on the interactions topic, in order with the user's events) ends as a tombstone
   * for {@code user:ID} in the compacted topic, after the user's last row, read committed; later events of
   * other users still train.
   */
  @Test
  @org.junit.jupiter.api.Order(2) // after the versions test, which counts every interaction in the topic
  void anErasureTombstonesTheUsersRow() throws Exception {
    StreamTrainMain.Args args = StreamTrainMain.Args.parse(new String[] {"--bootstrap", kafka.bootstrapServers(),
        "--checkpoint-dir", tmp.resolve("erase").toString(), "--checkpoint-interval-ms", "500",
        "--batch-size", "32", "--flush-idle-ms", "300"});
    String victim = Scenario.event(0).getUser();
    Properties cp = new Properties();
    cp.put("bootstrap.servers", kafka.bootstrapServers());
    cp.put("isolation.level", "read_committed");
    cp.put("auto.offset.reset", "latest");
    cp.put("key.deserializer", ByteArrayDeserializer.class.getName());
    cp.put("value.deserializer", ByteArrayDeserializer.class.getName());
    String key = "user:" + victim;
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(cp)) {
      // from the end of what the earlier test wrote, resolved now (a subscription's "latest" would be
      // resolved only once the group is joined, possibly after the job published the victim's row)
      List<org.apache.kafka.common.TopicPartition> parts = consumer.partitionsFor(Topics.MODEL_UPDATES).stream()
          .map(i -> new org.apache.kafka.common.TopicPartition(i.topic(), i.partition())).toList();
      consumer.assign(parts);
      consumer.seekToEnd(parts);
      parts.forEach(consumer::position);
      JobClient job = StreamTrainMain.start(args);
      try {
        produce(1000, 1160);
        List<ConsumerRecord<byte[], byte[]>> rows = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        boolean erasing = false;
        int tombstone = -1;
        while (tombstone < 0 && System.nanoTime() < deadline) {
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(300))) {
            rows.add(r);
            if (r.value() == null && key.equals(new String(r.key(), StandardCharsets.UTF_8))) {
              tombstone = rows.size() - 1;
            }
          }
          if (!erasing && rows.stream().anyMatch(r -> key.equals(new String(r.key(), StandardCharsets.UTF_8)))) {
            produceErasure(victim, Scenario.T0 + 200_000);
            erasing = true;
          }
        }
        assertTrue(erasing, "the victim's row was published first");
        assertTrue(tombstone >= 0, "a tombstone for " + key + " within 120 s (" + rows.size() + " rows read)");
        for (int k = tombstone + 1; k < rows.size(); k++) {
          assertTrue(!key.equals(new String(rows.get(k).key(), StandardCharsets.UTF_8)),
              "no row for the erased user after its tombstone");
        }
      } finally {
        cancel(job);
      }
    }
  }

  private static void cancel(JobClient job) throws Exception {
    if (!job.getJobStatus().get(10, TimeUnit.SECONDS).isGloballyTerminalState()) {
      job.cancel().get(60, TimeUnit.SECONDS);
    }
  }

  @Test
  @org.junit.jupiter.api.Order(1)
  void trainsFromKafkaExactlyOnceAndResumesFromTheRetainedCheckpoint() throws Exception {
    StreamTrainMain.Args args = StreamTrainMain.Args.parse(new String[] {"--bootstrap", kafka.bootstrapServers(),
        "--checkpoint-dir", tmp.resolve("ckpt").toString(), "--checkpoint-interval-ms", "500",
        "--batch-size", "32", "--flush-idle-ms", "0"}); // only full batches: versions are exact
    produce(0, 256); // 8 batches
    Properties cp = new Properties();
    cp.put("bootstrap.servers", kafka.bootstrapServers());
    cp.put("group.id", "kafka-training-it");
    cp.put("isolation.level", "read_committed");
    cp.put("auto.offset.reset", "earliest");
    cp.put("key.deserializer", ByteArrayDeserializer.class.getName());
    cp.put("value.deserializer", ByteArrayDeserializer.class.getName());
    List<ConsumerRecord<byte[], byte[]>> rows = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(cp)) {
      consumer.subscribe(List.of(Topics.MODEL_UPDATES));
      JobClient job = StreamTrainMain.start(args);
      try {
        readUntil(consumer, 8, rows);
        // wait for one more completed checkpoint after the last batch so the restart resumes after it
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (Checkpoints.latest(tmp.resolve("ckpt")).isEmpty() && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
        Thread.sleep(1500);
      } finally {
        cancel(job);
      }
      assertTrue(Checkpoints.latest(tmp.resolve("ckpt")).isPresent(), "a retained checkpoint");

      produce(256, 320); // 2 more batches
      JobClient resumed = StreamTrainMain.start(args);
      try {
        readUntil(consumer, 10, rows);
      } finally {
        cancel(resumed);
      }

      // A quiet stream: 5 events, far less than a batch, reach the model through the idle flush.
      StreamTrainMain.Args flushing = StreamTrainMain.Args.parse(new String[] {"--bootstrap",
          kafka.bootstrapServers(), "--checkpoint-dir", tmp.resolve("ckpt").toString(),
          "--checkpoint-interval-ms", "500", "--batch-size", "32", "--flush-idle-ms", "300"});
      JobClient idle = StreamTrainMain.start(flushing);
      try {
        produce(320, 325);
        readUntil(consumer, 11, rows);
      } finally {
        cancel(idle);
      }
    }
    // Rows are coalesced per checkpoint (a row changed by several batches is published once, newest), so not
    // every version shows; what must hold: per key, versions strictly increase in the topic across both
    // restarts (nothing republished, nothing older after a restore), and the last batch (11: 8 + 2 after the
    // restart + the idle flush) is published.
    TreeSet<Long> versions = new TreeSet<>();
    Map<String, Long> lastPerKey = new java.util.HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : rows) {
      if (r.value() == null) {
        continue; // another test's erasure
      }
      ModelUpdate u = Codecs.MODEL_UPDATE.decode(r.value());
      String key = new String(r.key(), StandardCharsets.UTF_8);
      assertEquals(Codecs.modelUpdateKey(u.getKind(), u.getId()), key);
      assertEquals(TrainConfig.defaults().trainer().dim(), u.getVector().size());
      versions.add(u.getModelVersion());
      Long before = lastPerKey.put(key, u.getModelVersion());
      assertTrue(before == null || before < u.getModelVersion(),
          "row " + key + " went from version " + before + " to " + u.getModelVersion());
    }
    assertEquals(11L, versions.last(), "the restarts continued the versions and the idle flush added one");
    assertTrue(versions.first() >= 1);
  }
}
