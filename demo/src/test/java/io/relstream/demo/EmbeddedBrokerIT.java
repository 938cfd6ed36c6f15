package io.relstream.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.schemas.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's broker: a real KRaft broker in a child JVM that keeps its data across restarts. */
class EmbeddedBrokerIT {

  @Test
  void startsCreatesTopicsAndResumesOnItsData(@TempDir Path work) throws Exception {
    String cp = Files.readString(Path.of("target", "classpath.txt")).strip();
    String[] bootstrap = new String[1];
    ChildProcess broker = EmbeddedBroker.start(work, cp, bootstrap);
    try {
      EmbeddedBroker.createTopics(bootstrap[0]);
      EmbeddedBroker.createTopics(bootstrap[0]); // idempotent
      try (Admin admin = admin(bootstrap[0])) {
        assertTrue(admin.listTopics().names().get(30, TimeUnit.SECONDS).containsAll(
            List.of(Topics.EVENTS, Topics.INTERACTIONS, Topics.MODEL_UPDATES, Topics.DEAD_LETTER)));
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, Topics.MODEL_UPDATES);
        Config c = admin.describeConfigs(List.of(r)).all().get(30, TimeUnit.SECONDS).get(r);
        assertEquals("compact", c.get("cleanup.policy").value());
        for (String t : List.of(Topics.EVENTS, Topics.INTERACTIONS, Topics.DEAD_LETTER)) {
          ConfigResource tr = new ConfigResource(ConfigResource.Type.TOPIC, t);
          assertEquals(String.valueOf(EmbeddedBroker.RETENTION_BYTES), admin.describeConfigs(List.of(tr)).all()
              .get(30, TimeUnit.SECONDS).get(tr).get("retention.bytes").value(), t);
        }
      }
      produce(bootstrap[0], "before-restart");
    } finally {
      broker.stop(30);
    }
    assertTrue(Files.exists(work.resolve("kafka/data/meta.properties")), "storage formatted once");

    broker = EmbeddedBroker.start(work, cp, bootstrap); // second start: same storage, new ports
    try {
      EmbeddedBroker.createTopics(bootstrap[0]);
      assertEquals(List.of("before-restart"), readAll(bootstrap[0]));
    } finally {
      broker.stop(30);
    }
  }

  static Admin admin(String bootstrap) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    return Admin.create(p);
  }

  static void produce(String bootstrap, String value) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      producer.send(new ProducerRecord<>(Topics.DEAD_LETTER, "k", value)).get(30, TimeUnit.SECONDS);
    }
  }

  static List<String> readAll(String bootstrap) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      TopicPartition tp = new TopicPartition(Topics.DEAD_LETTER, 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      List<String> out = new java.util.ArrayList<>();
      while (out.isEmpty() && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(500)).forEach(r -> out.add(r.value()));
      }
      return out;
    }
  }

}
