package io.relstream.serving;

import io.relstream.schemas.Codecs;
import io.relstream.schemas.Topics;
import io.relstream.schemas.avro.EntityKind;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.InteractionSource;
import io.relstream.schemas.avro.ModelUpdate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/** A one-node KRaft broker in this JVM, with serving's topics and producers for the ITs. */
final class Broker implements AutoCloseable {
  private final KafkaClusterTestKit kit;

  private Broker(KafkaClusterTestKit kit) {
    this.kit = kit;
  }

  static Broker start() throws Exception {
    KafkaClusterTestKit kit = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
        .setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).build())
        .setConfigProp("offsets.topic.replication.factor", "1")
        .setConfigProp("transaction.state.log.replication.factor", "1")
        .setConfigProp("transaction.state.log.min.isr", "1")
        .setConfigProp("auto.create.topics.enable", "false")
        .build();
    try {
      kit.format();
      kit.startup();
      kit.waitForReadyBrokers();
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", kit.bootstrapServers()))) {
        admin.createTopics(List.of(
            new NewTopic(Topics.MODEL_UPDATES, 2, (short) 1).configs(Map.of("cleanup.policy", "compact")),
            new NewTopic(Topics.INTERACTIONS, 2, (short) 1),
            new NewTopic(Topics.EVENTS, 2, (short) 1))).all().get();
      }
      return new Broker(kit);
    } catch (Exception e) {
      kit.close();
      throw e;
    }
  }

  String bootstrap() {
    return kit.bootstrapServers();
  }

  /** A transactional producer, transactions initialised. */
  KafkaProducer<String, byte[]> transactional(String id) {
    Properties p = base();
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, id);
    KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p);
    producer.initTransactions();
    return producer;
  }

  /** A plain idempotent producer. */
  KafkaProducer<String, byte[]> plain() {
    return new KafkaProducer<>(base());
  }

  private Properties base() {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kit.bootstrapServers());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "60000");
    return p;
  }

  static ProducerRecord<String, byte[]> item(String id, float[] v, double theta, double clicks, long version) {
    return update(EntityKind.ITEM, id, v, theta, clicks, version);
  }

  static ProducerRecord<String, byte[]> user(String id, float[] v, long version) {
    return update(EntityKind.USER, id, v, null, null, version);
  }

  private static ProducerRecord<String, byte[]> update(EntityKind kind, String id, float[] v, Double theta,
      Double clicks, long version) {
    List<Float> vector = new ArrayList<>();
    for (float x : v) {
      vector.add(x);
    }
    ModelUpdate u = ModelUpdate.newBuilder().setKind(kind).setId(id).setVector(vector).setPropensity(theta)
        .setClicks(clicks).setModelVersion(version).setTimestamp(1764300000000L + version).build();
    return new ProducerRecord<>(Topics.MODEL_UPDATES, Codecs.modelUpdateKey(kind, id), Codecs.MODEL_UPDATE.encode(u));
  }

  static ProducerRecord<String, byte[]> interaction(String user, String item, int label) {
    Interaction in = Interaction.newBuilder().setEventId(user + "-" + item + "-" + label).setUser(user).setItem(item)
        .setTimestamp(1764300000000L).setLabel(label)
        .setSource(label == 1 ? InteractionSource.CLICKED_IMPRESSION : InteractionSource.UNCLICKED_IMPRESSION)
        .setPosition(1).setPropensity(0.3).build();
    return new ProducerRecord<>(Topics.INTERACTIONS, user, Codecs.INTERACTION.encode(in));
  }

  /**
   * Polls {@code check} every 100 ms until it returns true, failing after {@code timeout} (with the
   * last exception as the cause) or at once when the check throws {@link Fatal}.
   */
  static void await(String what, Duration timeout, Check check) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Throwable last = null;
    while (System.nanoTime() < deadline) {
      try {
        if (check.ok()) {
          return;
        }
      } catch (Fatal e) {
        throw e;
      } catch (Exception | AssertionError e) {
        last = e;
      }
      Thread.sleep(100);
    }
    AssertionError e = new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what);
    if (last != null) {
      e.initCause(last);
    }
    throw e;
  }

  /** Thrown by a {@link Check} to fail at once instead of polling on. */
  static final class Fatal extends AssertionError {
    private static final long serialVersionUID = 1L;

    Fatal(String message) {
      super(message);
    }
  }

  /** A condition polled by {@link #await}. */
  interface Check {
    boolean ok() throws Exception;
  }

  @Override
  public void close() throws Exception {
    kit.close();
  }
}
